using System.Collections.Concurrent;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;
using UnitScope.Rendering.Report;
using UnitScope.Server.Models;
using SkiaSharp;

namespace UnitScope.Server.Dissection;

/// <summary>
/// The real thing: <see cref="DissectionService"/> over the shared <see cref="DissectionStore"/>
/// (the CLI's cache too), the built-in probe set from <see cref="ProbeSet"/> (default options) in the
/// same cache folder, Broden folders, and unit cards from Rendering. Opened datasets and read results
/// are kept in memory, so hovers read the disk once per layer.
/// </summary>
internal sealed class EngineDissection : IDissectionEngine
{
    private readonly DissectionService _service;
    private readonly DissectionStore _store;
    private readonly string _cacheFolder;
    private readonly DaemonLog _log;
    private readonly ConcurrentDictionary<string, ISegmentationDataset> _datasets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LayerDissection> _results = new(StringComparer.Ordinal);

    /// <param name="cacheFolder">Default: <see cref="CacheDirectory.Resolve()"/> (UNITSCOPE_CACHE, else the user's cache folder).</param>
    public EngineDissection(DaemonLog log, string? cacheFolder = null)
    {
        _log = log;
        _cacheFolder = Path.GetFullPath(cacheFolder ?? CacheDirectory.Resolve());
        _store = new DissectionStore(_cacheFolder);
        _service = new DissectionService(_store, log: m => log.Warn(m));
    }

    public static ProbeSetOptions ProbeOptions { get; } = new();

    public ISegmentationDataset OpenDataset(DatasetSpec spec, IProgress<DissectionProgress>? progress, CancellationToken ct)
    {
        if (_datasets.TryGetValue(spec.Name, out var open)) return open;
        ISegmentationDataset dataset;
        if (spec.IsProbe)
        {
            var generated = progress is null ? null : new SyncProgress<int>(n => progress.Report(new DissectionProgress(AnalysisPhase.Dataset, n, ProbeOptions.Count)));
            dataset = ProbeSet.EnsureBuiltIn(_cacheFolder, ProbeOptions, generated, ct);
        }
        else
        {
            dataset = BrodenDataset.Open(spec.Folder!);
        }
        return _datasets.GetOrAdd(spec.Name, dataset);
    }

    public ISegmentationDataset? TryOpenDataset(DatasetSpec spec)
    {
        if (_datasets.TryGetValue(spec.Name, out var open)) return open;
        var folder = spec.IsProbe ? Path.Combine(_cacheFolder, ProbeSet.FolderName(ProbeOptions)) : spec.Folder!;
        if (!File.Exists(Path.Combine(folder, "index.csv"))) return null;
        try
        {
            return _datasets.GetOrAdd(spec.Name, BrodenDataset.Open(folder));
        }
        catch (UnitScopeException e)
        {
            _log.Warn($"dataset {spec.Name} cannot be opened: {e.Message}");
            return null;
        }
    }

    public LayerDissection? TryGetCached(string checkpointHash, string layer, string datasetHash, DissectionOptions options)
    {
        var key = new DissectionKey(checkpointHash, layer, datasetHash, options);
        if (_results.TryGetValue(key.Value, out var known)) return known;
        if (!_store.TryGet(key, out var stored)) return null;
        _results[key.Value] = stored;
        return stored;
    }

    public IReadOnlyList<LayerDissection> ListCached(string checkpointHash) => _store.ListFor(checkpointHash).ToList();

    public string? SizeNote(IModel model, ISegmentationDataset dataset) =>
        ResizedProbeSet.SizeNote(dataset, model.Input, "`unitscope dissect --resize-probe` (the command line)");

    public IReadOnlyList<LayerDissection> Dissect(IModel model, ISegmentationDataset dataset, IReadOnlyList<string> layers,
        DissectionOptions options, IProgress<DissectionProgress>? progress, CancellationToken ct)
    {
        var results = _service.Dissect(Session(model), dataset, layers, options, progress, ct);
        foreach (var r in results) _results[DissectionKey.For(r).Value] = r;
        return results;
    }

    public byte[] RenderUnitCard(IModel model, ISegmentationDataset dataset, LayerDissection layer, int unit, CancellationToken ct)
    {
        var (dissected, masks) = TopImageMasks.ForLayer(Session(model), dataset, layer, [unit], ct: ct).Single();
        return UnitCard.RenderPng(layer.Layer, dissected, new TopImageTiles(dataset).For(dissected, masks));
    }

    public string CategoryColor(string category) => CategoryPalette.HexOf(category);

    public IReadOnlyDictionary<int, byte[]>? RenderTopImageStrips(IModel model, ISegmentationDataset dataset, LayerDissection layer,
        IReadOnlyList<int> units, int tileSize, int imagesPerUnit, CancellationToken ct)
    {
        const int gap = 2;
        var strips = new Dictionary<int, byte[]>();
        var drawn = new TopImageTiles(dataset, tileSize);
        foreach (var (unit, masks) in TopImageMasks.ForLayer(Session(model), dataset, layer, units, ct: ct))
        {
            var tiles = drawn.For(unit, masks);
            var shown = tiles.Take(imagesPerUnit).ToList();
            if (shown.Count == 0) continue;
            using var strip = new SKBitmap(new SKImageInfo(shown.Count * tileSize + (shown.Count - 1) * gap, tileSize, SKColorType.Rgba8888, SKAlphaType.Premul));
            using (var canvas = new SKCanvas(strip))
            {
                canvas.Clear(SKColors.Transparent);
                for (var i = 0; i < shown.Count; i++)
                {
                    using var tile = UnitCard.RenderTile(shown[i], tileSize);
                    canvas.DrawBitmap(tile, i * (tileSize + gap), 0, new SKSamplingOptions(SKFilterMode.Nearest), null); // 1:1
                }
            }
            strips[unit.Unit] = Rendering.Png.Encode(strip, $"unit {unit.Unit}'s top images");
        }
        return strips;
    }

    private static ModelSession Session(IModel model) =>
        model is ISessionModel s ? s.Session : throw new InvalidOperationException($"{model.GetType().Name} is not backed by a ModelSession.");
}
