using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Storage;

/// <summary>Computes the dissection of <paramref name="layers"/> (the signature of <c>Dissector.Run</c>).</summary>
public delegate IReadOnlyList<LayerDissection> DissectionRunner(
    ModelSession session,
    ISegmentationDataset dataset,
    IReadOnlyList<string> layers,
    DissectionOptions options,
    IProgress<DissectionProgress>? progress,
    CancellationToken ct);

/// <summary>
/// Dissection through the result store: what is stored is returned as is, only the missing layers are
/// computed (in one run of the dissector), and each computed layer is stored as soon as the dissector
/// reports it complete, so a cancelled or failed run keeps the layers it finished. The CLI and the
/// daemon both dissect through this.
/// </summary>
public sealed class DissectionService
{
    readonly DissectionRunner _run;
    readonly Action<string>? _log;

    /// <param name="store">Where results are kept.</param>
    /// <param name="runner">What computes missing layers; default <c>Dissector.Run</c>.</param>
    /// <param name="log">Told when a result could not be stored (the result is still returned).</param>
    public DissectionService(DissectionStore store, DissectionRunner? runner = null, Action<string>? log = null)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        _run = runner ?? ((session, dataset, layers, options, progress, ct) => Dissector.Run(session, dataset, layers, options, progress, ct));
        _log = log;
    }

    public DissectionStore Store { get; }

    /// <summary>
    /// The dissection of each of <paramref name="layers"/>, in that order (a name given twice is
    /// dissected once and returned once). Progress: one <see cref="AnalysisPhase.Cached"/> report (with
    /// <see cref="DissectionProgress.CompletedLayer"/>) per stored layer, then the dissector's reports.
    /// </summary>
    /// <exception cref="UnitScopeException">UnknownLayer (before any work), InvalidArgument for bad options, and the dissector's.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled; layers completed before that are stored.</exception>
    public IReadOnlyList<LayerDissection> Dissect(
        ModelSession session,
        ISegmentationDataset dataset,
        IReadOnlyList<string> layers,
        DissectionOptions? options = null,
        IProgress<DissectionProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(layers);
        var names = layers.Distinct(StringComparer.Ordinal).ToList();
        if (names.Count == 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, "Name at least one layer to dissect.");
        foreach (string name in names)
            session.GetLayer(name);
        var effective = Normalize(options ?? new DissectionOptions(), dataset.Count);

        var results = new Dictionary<string, LayerDissection>(StringComparer.Ordinal);
        var keys = names.ToDictionary(n => n, n => new DissectionKey(session.CheckpointHash, n, dataset.ContentHash, effective), StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (string name in names)
        {
            ct.ThrowIfCancellationRequested();
            if (Store.TryGet(keys[name], out var stored) && StillUnreadable(dataset, stored.SkippedImages))
            {
                results[name] = stored;
                progress?.Report(new DissectionProgress(AnalysisPhase.Cached, stored.ImageCount, stored.ImageCount, stored));
            }
            else
            {
                missing.Add(name);
            }
        }

        if (missing.Count > 0)
        {
            var storedNow = new HashSet<string>(StringComparer.Ordinal);
            var relay = new SyncProgress<DissectionProgress>(report =>
            {
                if (report.CompletedLayer is { } done && keys.TryGetValue(done.Layer, out var key) && !results.ContainsKey(done.Layer))
                {
                    lock (storedNow)
                    {
                        if (storedNow.Add(done.Layer))
                            TryPut(Conform(done, key));
                    }
                }
                progress?.Report(report);
            });
            var computed = _run(session, dataset, missing, effective, relay, ct);
            foreach (var layer in computed)
            {
                if (!keys.TryGetValue(layer.Layer, out var key) || results.ContainsKey(layer.Layer))
                    continue;
                var conformed = Conform(layer, key);
                lock (storedNow)
                {
                    if (storedNow.Add(layer.Layer))
                        TryPut(conformed);
                }
                results[layer.Layer] = conformed;
            }
        }

        var absent = names.Where(n => !results.ContainsKey(n)).ToList();
        if (absent.Count > 0)
            throw new InvalidOperationException($"The dissector returned no result for {string.Join(", ", absent)}.");
        return names.Select(n => results[n]).ToList();
    }

    /// <summary>
    /// Whether the images a stored result left out still cannot be read. The dataset's hash covers its index and
    /// label files, not the images, so a user who replaces a broken image would otherwise get the old result back.
    /// </summary>
    static bool StillUnreadable(ISegmentationDataset dataset, IReadOnlyList<SkippedImage> skipped)
    {
        var skips = new ImageSkips();
        return skipped.All(s => s.Index < dataset.Count && skips.TryLoad(dataset, s.Index) is null);
    }

    /// <summary>
    /// Checks the options and makes equivalent ones equal (so they share a cache entry): a MaxImages
    /// of at least the dataset's size means "all images".
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the option.</exception>
    public static DissectionOptions Normalize(DissectionOptions options, int datasetCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Quantile > 0 && options.Quantile < 1))
            throw Invalid($"The quantile must be between 0 and 1 (exclusive), e.g. 0.005 for the top 0.5%, not {options.Quantile}.");
        if (!(options.IouThreshold >= 0 && options.IouThreshold <= 1))
            throw Invalid($"The IoU threshold must be between 0 and 1, not {options.IouThreshold}.");
        if (options.TopImages < 1)
            throw Invalid($"The number of top images must be at least 1, not {options.TopImages}.");
        if (options.BatchSize < 1)
            throw Invalid($"The batch size must be at least 1, not {options.BatchSize}.");
        if (options.MaxImages is < 1)
            throw Invalid($"The maximum number of images must be at least 1, not {options.MaxImages}.");
        if (datasetCount < 1)
            throw Invalid("The probe dataset has no images.");
        return options.MaxImages is { } max && max >= datasetCount ? options with { MaxImages = null } : options;
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);

    /// <summary>The result as stored under <paramref name="key"/>: its identity fields are the key's.</summary>
    static LayerDissection Conform(LayerDissection layer, DissectionKey key) =>
        DissectionKey.For(layer).Equals(key)
            ? layer
            : layer with { CheckpointHash = key.CheckpointHash, DatasetHash = key.DatasetHash, Options = key.Options with { BatchSize = layer.Options.BatchSize } };

    void TryPut(LayerDissection layer)
    {
        try
        {
            Store.Put(layer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log?.Invoke($"Could not store the dissection of {layer.Layer} in {Store.Folder}: {e.Message}");
        }
    }
}
