using UnitScope.Engine.Analysis;
using System.Collections.Concurrent;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;

namespace UnitScope.Server.Tests.Support;

/// <summary>
/// A stand-in dissection engine: an in-memory store; a run goes over <see cref="Images"/> images in
/// batches, reporting progress after each (a thresholds pass for all layers, then an IoU pass per
/// layer, which completes that layer, as the engine does),
/// and can be held between batches (<see cref="BatchGate"/>) to test cancellation and yielding.
/// Layer results are made up from the layer's units: unit u is labelled when u % 3 != 2.
/// </summary>
internal sealed class FakeDissection : IDissectionEngine
{
    public const int Images = 40;
    public static readonly string[] Categories = ["color", "shape", "object"];
    public static readonly Concept[] Concepts = [new(1, "red", "color"), new(2, "circle", "shape"), new(3, "house", "object")];

    private readonly ConcurrentDictionary<string, LayerDissection> _store = new();

    public int BatchSize = 10;
    /// <summary>When set, every batch waits for a permit (released by the test).</summary>
    public SemaphoreSlim? BatchGate;
    /// <summary>Released once per batch started.</summary>
    public SemaphoreSlim BatchStarted { get; } = new(0);
    /// <summary>Layer names each run was asked for.</summary>
    public ConcurrentQueue<IReadOnlyList<string>> Runs { get; } = new();
    public bool ProbeBuilt;
    /// <summary>What <see cref="SizeNote"/> says (the real engine compares the probe images' size with the model's input).</summary>
    public string? Note;

    public string? SizeNote(IModel model, ISegmentationDataset dataset) => Note;
    public int CardsRendered;
    /// <summary>Makes a run fail with this error.</summary>
    public Exception? FailWith;

    public FakeDataset Probe { get; } = new("/cache/probe", "probehash");

    public ISegmentationDataset OpenDataset(DatasetSpec spec, IProgress<DissectionProgress>? progress, CancellationToken ct)
    {
        if (!spec.IsProbe) return new FakeDataset(spec.Folder!, "broden-" + Path.GetFileName(spec.Folder!));
        if (!ProbeBuilt)
        {
            for (var i = 0; i <= 100; i += 50) progress?.Report(new DissectionProgress(AnalysisPhase.Dataset, i, 100));
            ProbeBuilt = true;
        }
        return Probe;
    }

    public ISegmentationDataset? TryOpenDataset(DatasetSpec spec) =>
        spec.IsProbe ? (ProbeBuilt ? Probe : null) : new FakeDataset(spec.Folder!, "broden-" + Path.GetFileName(spec.Folder!));

    public LayerDissection? TryGetCached(string checkpointHash, string layer, string datasetHash, DissectionOptions options) =>
        _store.Values.FirstOrDefault(d => d.CheckpointHash == checkpointHash && d.Layer == layer && d.DatasetHash == datasetHash
                                          && DissectionCache.SameResult(d.Options, options));

    public IReadOnlyList<LayerDissection> ListCached(string checkpointHash) =>
        _store.Values.Where(d => d.CheckpointHash == checkpointHash).ToList();

    public void Put(LayerDissection d) => _store[$"{d.CheckpointHash}|{d.Layer}|{d.DatasetHash}|{d.Options}"] = d;

    public IReadOnlyList<LayerDissection> Dissect(IModel model, ISegmentationDataset dataset, IReadOnlyList<string> layers, DissectionOptions options,
        IProgress<DissectionProgress>? progress, CancellationToken ct)
    {
        Runs.Enqueue(layers);
        var total = options.MaxImages is { } m ? Math.Min(m, Images) : Images;
        var results = new List<LayerDissection>();
        void Pass(AnalysisPhase phase, string? layer)
        {
            for (var done = 0; done < total;)
            {
                ct.ThrowIfCancellationRequested();
                BatchStarted.Release();
                BatchGate?.Wait(ct);
                if (FailWith is { } failure) throw failure;
                done = Math.Min(total, done + BatchSize);
                progress?.Report(new DissectionProgress(phase, done, total) { Layer = layer });
            }
        }
        Pass(AnalysisPhase.Thresholds, null);
        foreach (var layer in layers)
        {
            Pass(AnalysisPhase.Iou, layer);
            var d = Result(model.CheckpointHash, layer, model.Layers.First(l => l.Name == layer).Units, dataset.ContentHash, options, total);
            Put(d);
            results.Add(d);
            progress?.Report(new DissectionProgress(AnalysisPhase.Iou, total, total, d) { Layer = layer });
        }
        return results;
    }

    public byte[] RenderUnitCard(IModel model, ISegmentationDataset dataset, LayerDissection layer, int unit, CancellationToken ct)
    {
        Interlocked.Increment(ref CardsRendered);
        // A PNG signature and an IHDR chunk saying 64×32: enough for the daemon to read the size.
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R',
            0, 0, 0, 64, 0, 0, 0, 32, 8, 2, 0, 0, 0, (byte)unit];
    }

    public string CategoryColor(string category) => UnitScope.Rendering.Charts.CategoryPalette.HexOf(category);

    /// <summary>A made-up result: unit u labelled with concept u % 3 + 1 unless u % 3 == 2; IoU falls with u.</summary>
    public static LayerDissection Result(string checkpointHash, string layer, int units, string datasetHash, DissectionOptions options, int images = Images)
    {
        var list = new List<UnitDissection>();
        for (var u = 0; u < units; u++)
        {
            var concept = Concepts[u % 3];
            var score = new ConceptScore(concept.Id, concept.Name, concept.Category, 0.5 - u * 0.01);
            list.Add(new UnitDissection(u, 1f + u, u % 3 == 2 ? null : score, score, [score],
                [new TopImage(u % images, 3f), new TopImage((u + 1) % images, 2f)]));
        }
        var byCategory = list.Where(u => u.Label is not null).GroupBy(u => u.Label!.Category).ToDictionary(g => g.Key, g => g.Count());
        return new LayerDissection(layer, checkpointHash, datasetHash, options, images, list, byCategory);
    }

    internal sealed class FakeDataset(string root, string hash) : ISegmentationDataset
    {
        public string Root => root;
        public string ContentHash => hash;
        public IReadOnlyList<string> Categories => FakeDissection.Categories;
        public IReadOnlyList<Concept> Concepts => FakeDissection.Concepts;
        public int MaxConceptId => 3;
        public int Count => Images;
        public ProbeSample Load(int index) => throw new UnitScopeException(EngineErrorKind.FileNotFound, "the fake dataset has no images");
    }
}
