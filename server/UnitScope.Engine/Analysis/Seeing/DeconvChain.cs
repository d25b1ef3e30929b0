using TorchSharp;
using TorchSharp.Modules;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Layers.ReceptiveFields;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// Whether a layer is reached from the input by a chain of modules the deconvnet can run backwards (Conv2d,
/// MaxPool2d, AvgPool2d, ReLU, BatchNorm2d, dropout, identity), each taking the previous one's output: AlexNet, ZFNet,
/// VGG and hand-written CNNs of that shape. Anything else (a residual sum, a functional op, another activation, an
/// ONNX graph) is said, naming where the chain breaks.
/// </summary>
public static class DeconvChain
{
    /// <returns>The chain's modules in forward order, or null and the reason.</returns>
    public static (IReadOnlyList<nn.Module<Tensor, Tensor>>? Chain, string Reason) Find(ModuleTraceResult? trace, string layer)
    {
        if (trace is null)
            return (null, "an ONNX graph runs its operations directly, not as modules the deconvnet can run backwards");
        var calls = trace.Calls;
        int last = calls.Count - 1;
        while (last >= 0 && calls[last].Name != layer) last--;
        if (last < 0) return (null, $"layer '{layer}' did not run in the traced forward pass");
        object current = calls[last].Output;
        string consumer = layer;
        var chain = new List<ModuleCall>();
        for (int i = last; !ReferenceEquals(current, trace.Input);)
        {
            // The latest leaf call before this point that returned the tensor we are at.
            while (i >= 0 && !(calls[i].IsLeaf && ReferenceEquals(calls[i].Output, current))) i--;
            if (i < 0)
                return (null, $"the input of '{consumer}' is not the output of a module (a residual sum, a concatenation or a functional op): not a chain");
            var call = calls[i];
            if (Rule(call) is { } missing)
                return (null, $"'{call.Name}' ({LayerCatalog.KindOf(call.Module)}) {missing}");
            chain.Add(call);
            consumer = call.Name;
            current = call.Input;
            i--;
        }
        chain.Reverse();
        return (chain.Count == 0 ? null : [.. chain.Select(c => c.Module)],
            chain.Count == 0 ? $"layer '{layer}' is the input itself" : $"a chain of {chain.Count} modules from the input to '{layer}'");
    }

    /// <summary>Null when the deconvnet has a rule for the call's module, else what is missing.</summary>
    static string? Rule(ModuleCall call) => call.Module switch
    {
        Conv2d conv when conv.padding_mode != PaddingModes.Zeros => "pads with another mode than zeros: it has no transposed counterpart",
        Conv2d conv when ModuleOps.Of(conv) is WindowOp w && !w.PadBegin.SequenceEqual(w.PadEnd) => "pads unevenly: it has no transposed counterpart",
        Conv2d or MaxPool2d or AvgPool2d or ReLU or BatchNorm2d or Dropout or Dropout2d or AlphaDropout or Identity => null,
        AdaptiveAvgPool2d when call.InputShape.AsSpan(2).SequenceEqual(call.OutputShape.AsSpan(2)) => null,
        _ => "has no deconvnet rule (the deconvnet knows convolution, max and average pooling, ReLU, batch norm and dropout)",
    };
}
