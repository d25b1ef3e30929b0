using TorchSharp;
using static TorchSharp.torch;

namespace UnitScope.Engine.Layers;

/// <summary>
/// One call of a module in a traced forward pass: its input and output tensors as objects (compared by reference, to
/// follow the data from module to module; they may be disposed by the time the trace is read) and their shapes.
/// </summary>
public sealed record ModuleCall(string Name, nn.Module<Tensor, Tensor> Module, bool IsLeaf, object Input, object Output,
    long[] InputShape, long[] OutputShape);

/// <summary>A recorded trace: the calls, and the input tensor's object (the first module's input on a chain).</summary>
public sealed record ModuleTraceResult(IReadOnlyList<ModuleCall> Calls, object Input);

/// <summary>
/// The calls of a model's named modules during one forward pass of zeros, in the order they finish: leaves in the
/// order they run, each container after its children. A module's input that is the very tensor another module
/// returned was handed on unchanged (a Sequential, or <c>b.call(a.call(x))</c>); one that is not came from an
/// operation outside the modules (a residual addition, a functional ReLU, a reshape).
/// </summary>
public static class ModuleTrace
{
    /// <param name="inputShape">[C, H, W].</param>
    /// <returns>The calls, and the input tensor's object (the first module's input when it is a chain).</returns>
    /// <remarks>Runs without gradients; the caller holds the model's forward lock.</remarks>
    public static (IReadOnlyList<ModuleCall> Calls, object Input) Record(nn.Module<Tensor, Tensor> model, IReadOnlyList<int> inputShape, Device device)
    {
        var modules = LayerCatalog.HookableModules(model);
        var calls = new List<ModuleCall>();
        var removers = new List<Action>();
        try
        {
            foreach (var (name, module) in modules)
            {
                string n = name;
                bool leaf = !module.children().Any();
                var remover = module.register_forward_hook((m, input, output) =>
                {
                    calls.Add(new ModuleCall(n, m, leaf, input, output, input.shape, output.shape));
                    return null!; // leaves the output as it is
                });
                removers.Add(remover.remove);
            }
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var input = torch.zeros([1, .. inputShape.Select(d => (long)d)], device: device);
            model.call(input);
            return (calls, input);
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }
}
