using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>A comparison through the result store (keyed by both checkpoints' hashes, the images and the layers), with
/// the labels of both sides' stored dissections attached: what the CLI and the daemon call.</summary>
public static class StoredComparison
{
    /// <exception cref="UnitScopeException">As <see cref="CheckpointComparison.Run"/>.</exception>
    /// <exception cref="OperationCanceledException">Between batches; nothing is stored.</exception>
    public static ComparisonResult Compute(AnalysisStore store, DissectionStore dissections, ModelSession a, ModelSession b, IImageSet images,
        ComparisonOptions? options, out bool cached, IProgress<ComparisonProgress>? progress = null, Action<string>? log = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(dissections);
        var resolved = CheckpointComparison.Resolve(a, b, options ?? new ComparisonOptions());
        var key = AnalysisKey.Comparison(a, b, images, resolved);
        var result = store.GetOrCompute(key, () => CheckpointComparison.Run(a, b, images, resolved, progress, ct), out cached, log);
        return ComparisonLabels.Attach(result, dissections);
    }
}
