using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Models;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Evolution;

/// <summary>
/// The real thing: <see cref="StoredComparison"/> on the two models' sessions, cached in the shared
/// <see cref="AnalysisStore"/> (the CLI's cache too), labels from the shared <see cref="DissectionStore"/>, datasets
/// opened through the dissection engine (so the probe set is built once), the chart from Rendering.
/// </summary>
internal sealed class EngineEvolution(DaemonLog log, IDissectionEngine dissection, string? cacheFolder = null) : IEvolutionEngine
{
    private const int ChartWidth = 720;
    private readonly AnalysisStore _store = new(cacheFolder);
    private readonly DissectionStore _dissections = new(cacheFolder);
    private readonly FileHashes _hashes = new();

    public IComparisonImages OpenImages(DatasetSpec spec, int maxImages, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var building = progress is null
            ? null
            : new SyncProgress<Engine.Analysis.Dissection.DissectionProgress>(p => progress.Report(new AnalysisProgress(AnalysisPhase.Dataset, p.ImagesDone, p.ImagesTotal)));
        var dataset = dissection.OpenDataset(spec, building, ct) as BrodenDataset
            ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Dataset '{spec.Name}' is not a Broden-format folder.");
        return new OpenedImages(spec.Name, ImageSet.Limit(ImageSet.FromBroden(dataset), maxImages), dataset);
    }

    public void CheckComparison(IModel a, IModel b, ComparisonSettings settings) =>
        CheckpointComparison.Resolve(Session(a), Session(b), Options(settings));

    public P.CompareCheckpointsResult Compare(IModel a, IModel b, IComparisonImages images, ComparisonSettings settings,
        IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var set = ((OpenedImages)images).Set;
        var relay = new SyncProgress<ComparisonProgress>(p => progress?.Report(new AnalysisProgress(AnalysisPhase.Comparison, p.Done, p.Total)));
        var r = StoredComparison.Compute(_store, _dissections, Session(a), Session(b), set, Options(settings), out bool cached, relay, m => log.Warn(m), ct);
        return new P.CompareCheckpointsResult(r.CheckpointA, r.CheckpointB, images.Name, r.Images,
            [.. r.Layers.Select(l => new P.LayerChange(l.Layer, l.UnitsA, l.UnitsB, l.MatchedToSameIndex,
                [.. l.Matches.Select(m => new P.MatchedUnit(m.UnitA, m.UnitB, m.Correlation, m.LabelA, m.LabelB, m.LabelChanged))],
                l.Cka, l.MeanMatchedCorrelation, l.LabelChanges))],
            r.RankedByChange, Convert.ToBase64String(ComparisonChart.RenderPng(r, ChartWidth)), ChartWidth, ComparisonChart.Height, cached);
    }

    public IReadOnlyList<RunCheckpointFile> FindRun(string run, CancellationToken ct) =>
        [.. RunCheckpoints.Find(run, ct).Select(c => new RunCheckpointFile(c.Path, c.Epoch, c.Step))];

    public void CheckRun(IModel reference, RunSettings settings)
    {
        var session = Session(reference);
        foreach (var layer in settings.Layers) session.GetLayer(layer);
    }

    public P.EvolveResult Evolve(IModel reference, string run, IReadOnlyList<RunCheckpointFile> checkpoints, IComparisonImages images, RunSettings settings,
        Action<P.CheckpointSummary>? completed, IProgress<RunProgress>? progress, CancellationToken ct)
    {
        var session = Session(reference);
        var opened = (OpenedImages)images;
        var loadOptions = LoadOptions(session);
        // The dissection goes over the same few images as the statistics: a run is summarised while the user waits, and a
        // full probe-set dissection per checkpoint would take minutes each.
        var options = new EvolutionOptions
        {
            Layers = settings.Layers,
            BatchSize = settings.BatchSize,
            Dissect = settings.Dissect,
            Dissection = new DissectionOptions { MaxImages = opened.Set.Count, BatchSize = settings.BatchSize },
        };
        var service = settings.Dissect ? new DissectionService(_dissections, log: m => log.Info(m)) : null;
        int index = 0;
        var relay = new SyncProgress<EvolutionProgress>(p => progress?.Report(new RunProgress(p.Checkpoint, p.Checkpoints, p.ImagesDone, p.ImagesTotal)));
        var result = TrainingRun.Evolve([.. checkpoints.Select(c => new RunCheckpoint(c.Path, c.Epoch, c.Step))],
            path => ModelSession.Load(path, loadOptions, ct), opened.Set, options, _store, service, opened.Probe, relay, m => log.Warn(m), ct,
            snapshot => completed?.Invoke(Summary(index++, snapshot)));
        return new P.EvolveResult(run, images.Name, result.Images, result.Layers, result.Checkpoints.Count,
            [.. result.Checkpoints.Select((c, i) => Summary(i, c))],
            [.. result.Layers.Select(l => new P.RunChart(l, Convert.ToBase64String(EvolutionChart.RenderPng(result, l, ChartWidth)), ChartWidth, EvolutionChart.Height))]);
    }

    public IReadOnlyList<RunMember> Members(IReadOnlyList<RunCheckpointFile> files, CancellationToken ct)
    {
        var hashed = new List<(RunCheckpointFile File, string Hash)>();
        foreach (var file in files)
            if (_hashes.Of(file.Path, ct) is { } hash) hashed.Add((file, hash));
        return [.. hashed.GroupBy(h => h.Hash, StringComparer.Ordinal)
            .Select(g => new RunMember(g.Key, [.. g.Select(m => m.File.Path)], g.First().File.Epoch, g.First().File.Step))];
    }

    public P.CheckpointSummary? StoredSummary(IModel reference, int index, RunMember member, RunMember? previous, IComparisonImages images, RunSettings settings) =>
        TrainingRun.Stored(member.Hash, previous?.Hash, Session(reference).Input, ((OpenedImages)images).Set, settings.Layers, _store) is { } stored
            ? Summary(index, new CheckpointSnapshot(member.Hash, member.Paths, member.Epoch, member.Step, stored.Layers) { Cached = true })
            : null;

    /// <summary>A second without a change: training frameworks write a checkpoint in one go, so a pause that long means done.</summary>
    public bool IsComplete(string path, CancellationToken ct) => CheckpointCompleteness.IsComplete(path, TimeSpan.FromSeconds(1), ct);

    public P.CheckpointSummary Summarise(IModel reference, int index, RunMember member, RunMember? previous, IComparisonImages images, RunSettings settings,
        IProgress<RunProgress>? progress, CancellationToken ct)
    {
        var loadOptions = LoadOptions(Session(reference));
        var relay = new SyncProgress<EvolutionProgress>(p => progress?.Report(new RunProgress(1, 1, p.ImagesDone, p.ImagesTotal)));
        var snapshot = TrainingRun.Summarise(new RunCheckpoint(member.Paths[0], member.Epoch, member.Step),
            previous is null ? null : new RunCheckpoint(previous.Paths[0], previous.Epoch, previous.Step),
            path => ModelSession.Load(path, loadOptions, ct), ((OpenedImages)images).Set,
            new EvolutionOptions { Layers = settings.Layers, BatchSize = settings.BatchSize }, _store, relay, m => log.Warn(m), ct);
        return Summary(index, snapshot with { Paths = member.Paths });
    }

    /// <summary>Every checkpoint of a run is read as the reference was: the same architecture (when it is a zoo one; else
    /// detected, as the CLI does), input, normalisation and device.</summary>
    private static ModelOptions LoadOptions(ModelSession session) => new()
    {
        Architecture = ModelZoo.Names.Contains(session.Architecture) ? session.Architecture : null,
        InputHeight = session.Input.Height,
        InputWidth = session.Input.Width,
        Mean = session.Input.Mean,
        Std = session.Input.Std,
        Device = session.DeviceName,
    };

    /// <summary>The protocol's record of a checkpoint; a NaN (a weight that was all zeros before) is sent as unknown.</summary>
    private static P.CheckpointSummary Summary(int index, CheckpointSnapshot c) =>
        new(index, c.CheckpointHash, c.Paths, [.. c.Layers.Select(l => new P.LayerSummary(l.Layer, l.Units, l.MeanActivation, l.DeadFraction,
                l.SaturatedFraction, l.WeightLayer, Finite(l.WeightNorm), Finite(l.WeightChange), l.Labelled,
                l.LabelledByCategory is { } by ? [.. by.Select(p => new P.CategoryCount(p.Key, p.Value))] : null,
                l.UnitConcepts is { } units ? [.. units.Select(u => new P.UnitConcept(u.Unit, u.Concept, u.Category, u.Iou, u.Labelled))] : null))],
            c.Epoch, c.Step, c.Cached);

    private static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;

    private static ComparisonOptions Options(ComparisonSettings s) => new() { Layers = s.Layers, BatchSize = s.BatchSize };

    private static ModelSession Session(IModel model) =>
        model is ISessionModel s ? s.Session : throw new InvalidOperationException($"{model.GetType().Name} is not backed by a ModelSession.");

    private sealed record OpenedImages(string Name, IImageSet Set, BrodenDataset Probe) : IComparisonImages
    {
        public int Count => Set.Count;
    }
}
