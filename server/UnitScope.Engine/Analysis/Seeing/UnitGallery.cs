using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>Options of <see cref="UnitGallery.Compute"/>.</summary>
public sealed record UnitGalleryOptions
{
    /// <summary>How many of the unit's strongest activations to show (Zeiler &amp; Fergus show 9).</summary>
    public int K { get; init; } = 9;

    /// <summary>The projection method; null: the best that applies (<see cref="Projector.Choose"/>).</summary>
    public ProjectionMethod? Method { get; init; }

    /// <summary>Images per forward pass of the top-k pass; speed and memory only.</summary>
    public int BatchSize { get; init; } = 32;
}

/// <summary>
/// A unit's gallery: its <see cref="TopActivationOptions.K"/> strongest activations over an image set, each with its
/// projection to the pixels (<see cref="Projections"/>, cut to the receptive field), and the files they came from.
/// </summary>
public sealed record UnitGalleryResult(
    string Layer,
    int Unit,
    int Units,
    string DatasetName,
    int Images,
    UnitProjections Projections,
    IReadOnlyList<string> ImagePaths);

/// <summary>
/// Zeiler &amp; Fergus's figure 2 for one unit: the top-k pass over the set (every unit of the layer at once, read from
/// the store when it has it, <see cref="TopActivationStore"/>) and the projections of this unit's winners only.
/// </summary>
public static class UnitGallery
{
    /// <param name="topCached">Whether the top-k pass came from the store.</param>
    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange, InvalidArgument (a layer that is not spatial,
    /// a bad k, a method that does not apply), all before any pass runs; the set's errors.</exception>
    /// <exception cref="OperationCanceledException">Between batches.</exception>
    public static UnitGalleryResult Compute(AnalysisStore store, ModelSession model, IImageSet images, string layer, int unit,
        UnitGalleryOptions options, out bool topCached, IProgress<TopActivationProgress>? progress = null, Action<string>? log = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        var info = Projector.RequireUnit(model, layer, unit);
        Projector.Choose(model, layer, options.Method); // a method that does not apply is refused before the pass
        var topOptions = new TopActivationOptions { K = options.K, BatchSize = options.BatchSize };
        var top = TopActivationStore.GetOrCollect(store, model, images, [layer], topOptions, out var cached, progress, log, ct).Single();
        topCached = cached.Count == 1;
        return Project(model, images, top, info, unit, options, progress, ct);
    }

    /// <summary>The gallery when the store has the layer's top-k pass (only the unit's winners are projected), else
    /// null: what a unit card shows without starting a pass over the dataset.</summary>
    /// <exception cref="UnitScopeException">As <see cref="Compute"/>, before anything is read.</exception>
    public static UnitGalleryResult? FromStore(AnalysisStore store, ModelSession model, IImageSet images, string layer, int unit,
        UnitGalleryOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        var info = Projector.RequireUnit(model, layer, unit);
        Projector.Choose(model, layer, options.Method);
        TopActivations.Validate(model, images, [layer], new TopActivationOptions { K = options.K, BatchSize = options.BatchSize });
        return TopActivationStore.Stored(store, model, images, layer, options.K) is { } top
            ? Project(model, images, top, info, unit, options, null, ct)
            : null;
    }

    static UnitGalleryResult Project(ModelSession model, IImageSet images, LayerTopActivations top, Layers.LayerInfo info, int unit,
        UnitGalleryOptions options, IProgress<TopActivationProgress>? progress, CancellationToken ct)
    {
        string layer = info.Name;
        var winners = top.Units[unit];
        progress?.Report(new TopActivationProgress(AnalysisPhase.Projections, 0, winners.Count));
        ct.ThrowIfCancellationRequested();
        var projections = Projector.Project(model, images, layer, unit, winners, options.Method, ct);
        progress?.Report(new TopActivationProgress(AnalysisPhase.Projections, winners.Count, winners.Count));
        return new UnitGalleryResult(layer, unit, info.Units, top.DatasetName, top.Images, projections,
            [.. winners.Select(w => images.PathOf(w.Image))]);
    }

    /// <summary>The winners' images as the model saw them: resized to its input as preprocessing resizes them.</summary>
    public static IReadOnlyList<RgbImage> Pictures(ModelSession model, IImageSet images, UnitGalleryResult result)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(result);
        var spec = model.Input;
        return [.. result.Projections.Items.Select(item =>
            ImageResize.Resize(images.Load(item.Activation.Image), spec.Width, spec.Height, spec.Resampling))];
    }
}
