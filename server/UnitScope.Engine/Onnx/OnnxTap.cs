using UnitScope.Engine.Layers;
using static TorchSharp.torch;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// A PyTorch module path in an ONNX graph: an identity module that <see cref="OnnxModel"/> calls
/// (with <c>call()</c>, so forward hooks fire) on the node output that is the module's output, once
/// per call of the module. A hook that returns a tensor replaces that output for the rest of the
/// graph, as it would in PyTorch. Its children are the submodules, under their PyTorch names.
/// </summary>
public sealed class OnnxTap : nn.Module<Tensor, Tensor>, INamedKind
{
    internal OnnxTap(string name, string kind) : base(name) => Kind = kind;

    /// <summary>The ONNX op type that gives the module's output (Conv, Relu, …), "Block" for a module with submodules.</summary>
    public string Kind { get; internal set; }

    public override Tensor forward(Tensor input) => input;
}
