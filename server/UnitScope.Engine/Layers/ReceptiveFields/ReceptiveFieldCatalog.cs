using UnitScope.Engine.Onnx;
using static TorchSharp.torch;

namespace UnitScope.Engine.Layers.ReceptiveFields;

/// <summary>
/// The receptive field of every layer of a model (<see cref="ModelSession.ReceptiveFields"/>): composed in closed form
/// along chains of modules (<see cref="ChainFields"/>: AlexNet, VGG, most hand-written CNNs, a ResNet's stem),
/// measured by geometric gradients where the path from the input is not a chain of modules
/// (<see cref="GradientFields"/>: residual blocks and everything after them, ONNX graphs, functional ops).
/// Layers whose output is not [C, H, W] see the whole input.
/// </summary>
public static class ReceptiveFieldCatalog
{
    /// <summary>The caller holds the model's forward lock (and its convolution backend).</summary>
    /// <param name="inputShape">[C, H, W].</param>
    /// <param name="trace">The model's module calls (<see cref="ModuleTrace"/>); null for an ONNX model.</param>
    public static IReadOnlyList<LayerReceptiveField> Compute(nn.Module<Tensor, Tensor> model, IReadOnlyList<LayerInfo> layers,
        IReadOnlyList<int> inputShape, Device device, ModuleTraceResult? trace)
    {
        var spatial = layers.Where(l => l.OutputShape.Count == 3).Select(l => l.Name).ToList();
        var chained = new Dictionary<string, ReceptiveField>(StringComparer.Ordinal);
        if (trace is not null)
            foreach (var (layer, field) in ChainFields.Compose(trace.Calls, trace.Input)) chained[layer] = field;
        var rest = spatial.Where(l => !chained.ContainsKey(l)).ToList();
        var measured = rest.Count == 0
            ? new Dictionary<string, LayerReceptiveField>()
            : GradientFields.Measure(model, rest, inputShape, device,
                model is OnnxModel onnx ? () => new OnnxSurrogates(onnx) : () => new ModuleSurrogates(model));

        return [.. layers.Select(l =>
            chained.TryGetValue(l.Name, out var field)
                ? new LayerReceptiveField(l.Name, field, ReceptiveFieldMethod.Chain, ChainNote)
                : measured.TryGetValue(l.Name, out var found) ? found
                : new LayerReceptiveField(l.Name, null, ReceptiveFieldMethod.WholeInput,
                    "Not spatial: each unit sees the whole input."))];
    }

    const string ChainNote = "Composed from the kernel, stride, padding and dilation of each module on the chain from the input.";
}
