using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Datasets;
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

    public IComparisonImages OpenImages(DatasetSpec spec, int maxImages, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var building = progress is null
            ? null
            : new SyncProgress<Engine.Analysis.Dissection.DissectionProgress>(p => progress.Report(new AnalysisProgress(AnalysisPhase.Dataset, p.ImagesDone, p.ImagesTotal)));
        var dataset = dissection.OpenDataset(spec, building, ct) as BrodenDataset
            ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Dataset '{spec.Name}' is not a Broden-format folder.");
        return new OpenedImages(spec.Name, ImageSet.Limit(ImageSet.FromBroden(dataset), maxImages));
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

    private static ComparisonOptions Options(ComparisonSettings s) => new() { Layers = s.Layers, BatchSize = s.BatchSize };

    private static ModelSession Session(IModel model) =>
        model is ISessionModel s ? s.Session : throw new InvalidOperationException($"{model.GetType().Name} is not backed by a ModelSession.");

    private sealed record OpenedImages(string Name, IImageSet Set) : IComparisonImages
    {
        public int Count => Set.Count;
    }
}
