using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.ExplanatoryGraph;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Layers.ReceptiveFields;
using UnitScope.Engine.Storage;
using UnitScope.Rendering;
using UnitScope.Rendering.Charts;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Graph;

/// <summary>
/// The real thing: <see cref="ExplanatoryGraphAnalysis"/> on the model's <see cref="ModelSession"/> over one class of the
/// set <see cref="EngineAnalysis"/> opened, cached in the shared <see cref="AnalysisStore"/> (the CLI's cache too), with
/// the split of what is explained by the labels of dissections in the same cache.
/// </summary>
internal sealed class EngineGraph(DaemonLog log, IDissectionEngine dissection, string? cacheFolder = null) : IGraphEngine
{
    private readonly AnalysisStore _store = new(cacheFolder);
    private readonly DissectionStore _dissections = new(cacheFolder);

    public IEvaluationData OpenSet(IModel model, EvaluationSetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        if (!spec.IsProbe)
            return new EngineAnalysis.OpenSet(spec.Name, ImageFolderSet.Open(spec.Folder!, session.ImageSizing()));
        var building = progress is null
            ? null
            : new SyncProgress<Engine.Analysis.Dissection.DissectionProgress>(p => progress.Report(new AnalysisProgress(AnalysisPhase.Dataset, p.ImagesDone, p.ImagesTotal)));
        return new EngineAnalysis.OpenSet(spec.Name, EvaluationSet.FromProbe(dissection.OpenDataset(DatasetSpec.Probe, building, ct)));
    }

    public P.ExplanatoryGraphResult Mine(IModel model, IEvaluationData set, GraphSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct)
    {
        var session = Session(model);
        var (images, options) = Open(set, settings);
        ExplanatoryGraphAnalysis.Validate(session, images.Count, options);
        var relay = new SyncProgress<GraphProgress>(p => progress?.Report(new AnalysisProgress(p.Phase, p.Done, p.Total)));
        var result = _store.GetOrCompute(AnalysisKey.ExplanatoryGraph(session, images, options),
            () => ExplanatoryGraphAnalysis.Run(session, images, options, relay, ct), out bool cached, m => log.Warn(m));
        var chart = ExplanatoryGraphFigure.RenderPng(result, out int width, out int height);
        return new P.ExplanatoryGraphResult([.. result.Layers.Select(l => Layer(result.CheckpointHash, l))], result.Images.Count, result.DatasetName,
            Convert.ToBase64String(chart), width, height, cached);
    }

    public P.GraphNodeResult? Node(IModel model, IEvaluationData set, GraphSettings settings, int nodeId)
    {
        var session = Session(model);
        var (images, options) = Open(set, settings);
        if (!_store.TryGet(AnalysisKey.ExplanatoryGraph(session, images, options), out ExplanatoryGraphResult graph)) return null;
        var layer = graph.Layers.FirstOrDefault(l => l.Nodes.Any(n => n.Id == nodeId))
            ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The graph has no node {nodeId} (nodeId): its nodes are 0 to {graph.Layers.Sum(l => l.Nodes.Count) - 1}.");
        var node = layer.Nodes.Single(n => n.Id == nodeId);
        var patches = node.Patches.Select(p =>
        {
            var picture = images.Load(p.Image);
            int side = Math.Max(8, Math.Max(picture.Width, picture.Height) / 4);
            int left = (int)Math.Round(p.X * picture.Width) - side / 2, top = (int)Math.Round(p.Y * picture.Height) - side / 2;
            var patch = UnitGalleryFigure.Patch(picture, new PixelBox(top, left, side, side).ClipTo(picture.Height, picture.Width));
            return new P.GraphPatch(graph.Images[p.Image], p.X, p.Y, p.Strength, Convert.ToBase64String(Png.Encode(patch)));
        }).ToList();
        return new P.GraphNodeResult(layer.Name, Info(node), patches);
    }

    private P.GraphLayerInfo Layer(string checkpointHash, GraphLayer layer)
    {
        var dissection = UnitLabels.Find(_dissections, checkpointHash, layer.Name);
        var explanation = GraphExplanation.For(layer, UnitLabels.Labels(_dissections, checkpointHash, layer.Name),
            dissection is null ? null : UnitLabels.Source(dissection));
        return new P.GraphLayerInfo(layer.Name, layer.Filters, layer.Height, layer.Width, [.. layer.Nodes.Select(Info)],
            [.. layer.Edges.Select(e => new P.GraphEdgeInfo(e.Child, e.Parent, e.Weight, e.Dx, e.Dy))], explanation.Explained,
            [.. explanation.ByGroup.Select(g => new P.GraphShare(g.Group, g.Share))], explanation.LabelSource);
    }

    private static P.GraphNodeInfo Info(GraphNode n) => new(n.Id, n.Filter, n.Pattern, n.X, n.Y, n.Spread, n.Frequency, n.MeanStrength);

    private static (IImageSet Images, GraphOptions Options) Open(IEvaluationData set, GraphSettings s)
    {
        var defaults = new GraphOptions();
        var options = new GraphOptions
        {
            Layers = [.. s.Layers.Select(l => l.Trim())],
            PatternsPerFilter = s.PatternsPerFilter ?? defaults.PatternsPerFilter,
            ParentsPerNode = s.ParentsPerNode ?? defaults.ParentsPerNode,
            Iterations = s.Iterations ?? defaults.Iterations,
            PeaksPerMap = s.PeaksPerMap ?? defaults.PeaksPerMap,
            PeakThreshold = s.PeakThreshold ?? defaults.PeakThreshold,
            MinFrequency = s.MinFrequency ?? defaults.MinFrequency,
            BatchSize = s.BatchSize,
        };
        var evaluation = (set as EngineAnalysis.OpenSet)?.Set ?? throw new InvalidOperationException("The graph needs a set opened by the engine.");
        return (CategoryImages.Of(evaluation, s.ClassName), options);
    }

    private static ModelSession Session(IModel model) =>
        (model as ISessionModel)?.Session ?? throw new InvalidOperationException("The explanatory graph needs a model loaded by the engine.");
}
