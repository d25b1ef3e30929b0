using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Where dissection gets activations from: a model (<see cref="ModelActivationSource"/>) or, in tests,
/// planted tensors. <see cref="Dissector"/> calls <see cref="Forward"/> once per batch of probe images,
/// in dataset order, and nothing else runs the model.
/// </summary>
public interface IActivationSource
{
    /// <summary>Identity of what produces the activations (a checkpoint's hash): <see cref="LayerDissection.CheckpointHash"/>.</summary>
    string Identity { get; }

    /// <summary>Where <see cref="Forward"/>'s tensors live; dissection counts on the same device.</summary>
    Device Device { get; }

    /// <summary>Checks that every layer exists and outputs [units, h, w] maps.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, or InvalidArgument for a layer without spatial maps.</exception>
    void CheckLayers(IReadOnlyList<string> layers);

    /// <summary>
    /// The activations [N, units, h, w] (float32) of each of <paramref name="layers"/> for the batch's images.
    /// The caller owns the returned tensors and disposes them.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Forward(IReadOnlyList<ProbeSample> batch, IReadOnlyList<string> layers);
}

/// <summary>A model's layer outputs, one <see cref="ModelSession.ForwardBatch{T}(IReadOnlyList{Imaging.RgbImage}, IReadOnlyCollection{string}, Func{ForwardPass, T})"/> per batch.</summary>
public sealed class ModelActivationSource(ModelSession model) : IActivationSource
{
    public string Identity => model.CheckpointHash;

    public Device Device { get; } = TorchSharp.torch.device(model.DeviceName);

    public void CheckLayers(IReadOnlyList<string> layers)
    {
        foreach (string name in layers)
        {
            var layer = model.GetLayer(name);
            if (layer.OutputShape.Count != 3)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"Layer '{name}' ({layer.Kind}) outputs [{string.Join(", ", layer.OutputShape)}], not [units, height, width] maps: " +
                    "dissection needs a layer with spatial maps (a convolution, its activation or a block).");
        }
    }

    public IReadOnlyDictionary<string, Tensor> Forward(IReadOnlyList<ProbeSample> batch, IReadOnlyList<string> layers) =>
        model.ForwardBatch(batch.Select(s => s.Image).ToList(), layers.ToList(), pass =>
            layers.ToDictionary(l => l, l => pass.Activations[l].to(ScalarType.Float32).clone().MoveToOuterDisposeScope(), StringComparer.Ordinal));
}
