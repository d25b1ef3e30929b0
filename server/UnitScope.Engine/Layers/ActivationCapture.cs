using static TorchSharp.torch;

namespace UnitScope.Engine.Layers;

/// <summary>
/// Forward hooks that record the outputs of named layers during the forward passes made while it
/// is alive; disposing removes every hook, leaving the model as it was. A layer called several
/// times in one pass (a shared ReLU) keeps its last output, as a PyTorch hook that stores would.
/// The recorded tensors are aliases (new handles to the same storage: TorchSharp's Sequential
/// disposes intermediate outputs) and belong to the caller's dispose scope.
/// </summary>
public sealed class ActivationCapture : IDisposable
{
    readonly List<Action> _removers = new();
    readonly Dictionary<string, Tensor> _outputs = new(StringComparer.Ordinal);

    /// <param name="inputs">Record each layer's input (the tensor its forward is called with) instead of its output.</param>
    public ActivationCapture(nn.Module model, IEnumerable<string> layerNames, bool inputs = false)
    {
        var modules = LayerCatalog.HookableModules(model);
        foreach (string name in layerNames.Distinct())
        {
            if (!modules.TryGetValue(name, out var module))
                throw LayerCatalog.UnknownLayer(name, modules.Keys);
            string captured = name;
            var remover = module.register_forward_hook((_, input, output) =>
            {
                _outputs[captured] = (inputs ? input : output).alias();
                return null!; // TorchSharp: a hook returning null leaves the output as it is
            });
            _removers.Add(remover.remove);
        }
    }

    /// <summary>The output of <paramref name="layer"/> in the latest forward pass.</summary>
    public Tensor this[string layer] =>
        _outputs.TryGetValue(layer, out var t) ? t
        : throw new InvalidOperationException($"Layer '{layer}' was not called in the forward pass.");

    public bool TryGet(string layer, out Tensor output) => _outputs.TryGetValue(layer, out output!);

    public IReadOnlyDictionary<string, Tensor> Outputs => _outputs;

    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
        _outputs.Clear();
    }
}
