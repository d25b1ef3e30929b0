using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// <see cref="TopActivations"/> behind the <see cref="AnalysisStore"/>: layers stored before are read, the others
/// collected in one pass and stored each as a whole once the pass is done (a cancelled or failed pass stores nothing).
/// </summary>
public static class TopActivationStore
{
    /// <param name="cachedLayers">Which of <paramref name="layers"/> came from the store.</param>
    /// <exception cref="UnitScopeException">As <see cref="TopActivations.Collect"/>.</exception>
    public static IReadOnlyList<LayerTopActivations> GetOrCollect(AnalysisStore store, ModelSession model, IImageSet images,
        IReadOnlyList<string> layers, TopActivationOptions options, out IReadOnlyList<string> cachedLayers,
        IProgress<TopActivationProgress>? progress = null, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        TopActivations.Validate(model, images, layers, options);
        var found = new Dictionary<string, LayerTopActivations>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (string layer in layers.Distinct())
        {
            if (Stored(store, model, images, layer, options.K) is { } stored)
                found[layer] = stored;
            else
                missing.Add(layer);
        }
        cachedLayers = [.. found.Keys];
        if (missing.Count > 0)
        {
            foreach (var result in TopActivations.Collect(model, images, missing, options, progress, ct))
            {
                found[result.Layer] = result;
                try
                {
                    store.Put(AnalysisKey.TopActivations(model, images, result.Layer, options.K), result);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    log?.Invoke($"Could not store the top activations of {result.Layer} in {store.Folder}: {e.Message}");
                }
            }
        }
        return [.. layers.Distinct().Select(l => found[l])];
    }

    /// <summary>The layer's top activations if the store has them (every unit), else null; runs no model.</summary>
    public static LayerTopActivations? Stored(AnalysisStore store, ModelSession model, IImageSet images, string layer, int k)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(model);
        return store.TryGet<LayerTopActivations>(AnalysisKey.TopActivations(model, images, layer, k), out var stored)
            && stored.Units.Count == model.GetLayer(layer).Units ? stored : null;
    }
}
