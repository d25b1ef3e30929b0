using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// The strongest activations of every unit of some layers over an image set (Zeiler &amp; Fergus 2014, figure 2's
/// top 9), in one streaming pass: each batch's forward pass gives, on the model's device, every unit's largest value
/// per image and where it is; only those [images × units] numbers reach the CPU, where a <see cref="TopKCollector"/>
/// per layer keeps the k best. Memory O(layers × units × k), not O(images); one pass serves every unit, so a unit
/// gallery pages through units without running the model again (the result is cached by the caller).
/// </summary>
public static class TopActivations
{
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument for a layer whose output is not [C, H, W]
    /// (naming it), a k outside 1–<see cref="TopActivationOptions.MaxK"/>, a batch size below 1, an empty set;
    /// the set's errors (a file that cannot be read).</exception>
    /// <exception cref="OperationCanceledException">Between batches.</exception>
    public static IReadOnlyList<LayerTopActivations> Collect(ModelSession model, IImageSet images, IReadOnlyList<string> layers,
        TopActivationOptions? options = null, IProgress<TopActivationProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(layers);
        options ??= new TopActivationOptions();
        Validate(model, images, layers, options);

        var infos = layers.Distinct().Select(model.GetLayer).ToList();
        var collectors = infos.Select(l => new TopKCollector(l.Units, options.K)).ToList();
        string[] names = [.. infos.Select(l => l.Name)];
        int total = images.Count;
        progress?.Report(new TopActivationProgress(AnalysisPhase.TopActivations, 0, total));
        for (int start = 0; start < total; start += options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(options.BatchSize, total - start);
            var loaded = new RgbImage[n];
            int first = start;
            Parallel.For(0, n, ParallelWork.Options(), i => loaded[i] = images.Load(first + i));
            using var scope = NewDisposeScope();
            var batch = ImageTensor.ToBatch(loaded, model.Input);
            var maxima = model.ForwardBatch(batch, names, pass =>
                names.Select(name =>
                {
                    // [N, C, H·W] → the largest value per image and unit and its first position.
                    var map = pass.Activations[name];
                    var (values, positions) = map.flatten(2).max(2);
                    return (values.to(ScalarType.Float32).cpu().data<float>().ToArray(), positions.cpu().data<long>().ToArray());
                }).ToList());
            for (int l = 0; l < infos.Count; l++)
                collectors[l].Offer(first, n, maxima[l].Item1, maxima[l].Item2, infos[l].OutputShape[2]);
            progress?.Report(new TopActivationProgress(AnalysisPhase.TopActivations, start + n, total));
        }
        return [.. infos.Select((info, l) => new LayerTopActivations(info.Name, options.K, info.OutputShape[1], info.OutputShape[2],
            total, images.Name, collectors[l].Result()))];
    }

    /// <summary>The checks <see cref="Collect"/> makes before running anything.</summary>
    /// <exception cref="UnitScopeException">As <see cref="Collect"/>.</exception>
    public static void Validate(ModelSession model, IImageSet images, IReadOnlyList<string> layers, TopActivationOptions options)
    {
        if (layers.Count == 0)
            throw Invalid("Name at least one layer (--layer).");
        foreach (string layer in layers)
            RequireSpatial(model, layer);
        if (options.K is < 1 or > TopActivationOptions.MaxK)
            throw Invalid($"k (--top) must be 1 to {TopActivationOptions.MaxK}, not {options.K}.");
        if (options.BatchSize < 1)
            throw Invalid($"The batch size must be at least 1, not {options.BatchSize}.");
        if (images.Count == 0)
            throw Invalid($"The image set {images.Name} has no images.");
    }

    /// <summary>The layer, when its output is [C, H, W] (a convolution's, a pooling's, a block's).</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument naming the layer and its shape otherwise.</exception>
    public static Layers.LayerInfo RequireSpatial(ModelSession model, string layer)
    {
        var info = model.GetLayer(layer);
        if (info.OutputShape.Count != 3)
            throw Invalid($"Layer '{layer}' ({info.Kind}) is not spatial: its output is [{string.Join(", ", info.OutputShape)}], " +
                "not [channels, height, width]; a unit's strongest activations and their projections need a convolutional layer's map.");
        return info;
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);
}
