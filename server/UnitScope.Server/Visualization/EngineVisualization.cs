using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Correspondence;
using UnitScope.Engine.Analysis.Invariance;
using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Rendering;
using UnitScope.Rendering.Charts;
using UnitScope.Server.Analysis;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Visualization;

/// <summary>
/// The real thing: <see cref="ActivationMaximizer"/>, <see cref="HypothesisTest"/>, <see cref="InvarianceAnalysis"/> and
/// <see cref="CorrespondenceAnalysis"/> on the model's
/// <see cref="ModelSession"/>, results cached in the shared <see cref="AnalysisStore"/> (the CLI's cache too), pictures
/// from Rendering.
/// </summary>
internal sealed class EngineVisualization(DaemonLog log, string? cacheFolder = null) : IVisualizationEngine
{
    /// <summary>The hypothesis chart's width (the panel shows it at its own width).</summary>
    private const int ChartWidth = 720;

    private readonly AnalysisStore _store = new(cacheFolder);

    public P.VisualizeResult? Visualize(IModel model, MaximizationSettings settings, bool cachedOnly, Action<P.VisualizePreview>? preview,
        IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        var options = VisualizationChecks.Options(settings);
        var key = AnalysisKey.Maximization(session, settings.Layer, settings.Unit, options);
        MaximizationResult r;
        bool cached;
        if (cachedOnly)
        {
            if (!_store.TryGet(key, out r)) return null;
            cached = true;
        }
        else
        {
            var relay = new SyncProgress<MaximizationProgress>(p =>
            {
                if (p.Preview is { } image)
                    preview?.Invoke(new P.VisualizePreview(p.Round, p.Rounds, p.Activation, Convert.ToBase64String(Png.Encode(image))));
                progress?.Report(new AnalysisProgress(AnalysisPhase.Maximization, p.StepsDone, p.StepsTotal));
            });
            r = _store.GetOrCompute(key, () => ActivationMaximizer.Run(session, settings.Layer, settings.Unit, options, relay, ct), out cached, m => log.Warn(m));
        }
        var hypothesis = HypothesisTest(model, r.Image, "the optimised image", settings.Layer, settings.Unit);
        return new P.VisualizeResult(r.Layer, r.Unit, settings.Objective, settings.Seed, settings.Rounds, settings.Steps, r.Image.Width, r.Image.Height,
            Convert.ToBase64String(Png.Encode(r.Image)), r.RoundActivations, r.FinalActivation, hypothesis, cached);
    }

    public P.HypothesisTestResult HypothesisTest(IModel model, RgbImage image, string imageName, string layer, int unit)
    {
        var r = Engine.Analysis.Maximization.HypothesisTest.Run(Session(model), image, layer, unit);
        return new P.HypothesisTestResult(r.Layer, r.Unit, r.MeanActivations, r.Rank, r.StrongestUnit,
            Convert.ToBase64String(HypothesisChart.RenderPng(r, imageName, ChartWidth)), ChartWidth, HypothesisChart.Height);
    }

    public void CheckInvariance(IModel model, IReadOnlyList<RgbImage> images, InvarianceSettings settings) =>
        InvarianceAnalysis.Resolve(Session(model), images, Options(settings));

    public P.InvarianceResult Invariance(IModel model, IReadOnlyList<RgbImage> images, IReadOnlyList<string> names, InvarianceSettings settings,
        IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        var options = InvarianceAnalysis.Resolve(session, images, Options(settings));
        var key = AnalysisKey.Invariance(session, [.. images.Select(Occluder.ImageHash)], options);
        var relay = new SyncProgress<InvarianceProgress>(p => progress?.Report(new AnalysisProgress(AnalysisPhase.Invariance, p.Done, p.Total)));
        var r = _store.GetOrCompute(key, () => InvarianceAnalysis.Run(session, images, options, relay, ct), out var cached, m => log.Warn(m));
        var labels = r.TrueClasses.Select(c => c < r.ClassNames.Count ? r.ClassNames[c] : $"class {c}").ToList();
        return new P.InvarianceResult(r.Layers, r.FeatureSizes, names, r.TrueClasses, labels, r.BaseProbabilities,
            [.. r.Sweeps.Select(s => new P.InvarianceSweepResult((P.TransformKind)(int)s.Kind, s.Values,
                Nested(s.Distances), Nested(s.RelativeDistances), [.. s.Probabilities.Select(p => (IReadOnlyList<float>)p)]))],
            Convert.ToBase64String(InvarianceChart.RenderPng(r, names)), InvarianceChart.Width(r), InvarianceChart.Height(r), cached);
    }

    public CorrespondenceSet OpenCorrespondence(IModel model, string boxesPath, CorrespondenceSettings settings)
    {
        var session = Session(model);
        var images = PartBoxesFile.Read(boxesPath);
        var options = CorrespondenceAnalysis.Resolve(session, images, Options(settings));
        return new OpenedSet(images, options);
    }

    public P.CorrespondenceResult Correspondence(IModel model, CorrespondenceSet set, CorrespondenceSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct)
    {
        var session = Session(model);
        var opened = (OpenedSet)set;
        var sizing = session.ImageSizing();
        var key = AnalysisKey.Correspondence(session, CorrespondenceAnalysis.SetHash(opened.Images), sizing, opened.Options);
        var relay = new SyncProgress<CorrespondenceProgress>(p => progress?.Report(new AnalysisProgress(AnalysisPhase.Correspondence, p.Done, p.Total)));
        var r = _store.GetOrCompute(key, () => CorrespondenceAnalysis.Run(session, opened.Images, opened.Options, sizing, relay, ct), out var cached,
            m => log.Warn(m));
        return new P.CorrespondenceResult(r.Layers, r.FeatureSizes, r.Options.RandomDraws,
            [.. r.Parts.Select(p => new P.CorrespondencePart(p.Part, p.Images,
                [.. p.Layers.Select(l => new P.CorrespondenceLayer(l.Layer, l.Part.Mean, l.Part.Std, l.Part.Sum, l.RandomMean, l.RandomStd))]))],
            Convert.ToBase64String(CorrespondenceChart.RenderPng(r, CorrespondenceChartWidth)), CorrespondenceChartWidth, CorrespondenceChart.Height, cached);
    }

    private const int CorrespondenceChartWidth = 720;

    private sealed class OpenedSet(IReadOnlyList<PartImage> images, CorrespondenceOptions options) : CorrespondenceSet
    {
        public IReadOnlyList<PartImage> Images { get; } = images;
        public CorrespondenceOptions Options { get; } = options;
        public override int ImageCount => Images.Count;
    }

    private static InvarianceOptions Options(InvarianceSettings s) => new()
    {
        Layers = s.Layers,
        Translations = s.Translations,
        Axis = s.Axis == P.TranslationAxis.Horizontal ? TranslationAxis.Horizontal : TranslationAxis.Vertical,
        Rotations = s.Rotations,
        Scales = s.Scales,
        TrueClass = s.TrueClass,
        BatchSize = s.BatchSize,
    };

    /// <summary>The fill in [0, 1] per channel as 8-bit values (as occlusion turns its fill into bytes).</summary>
    private static CorrespondenceOptions Options(CorrespondenceSettings s) => new()
    {
        Layers = s.Layers,
        RandomDraws = s.RandomDraws,
        Seed = s.Seed,
        FillRgb = s.Fill?.Select(v => (int)MathF.Round(v * 255)).ToList(),
        BatchSize = s.BatchSize,
    };

    private static IReadOnlyList<IReadOnlyList<IReadOnlyList<float>>> Nested(float[][][] values) =>
        [.. values.Select(image => (IReadOnlyList<IReadOnlyList<float>>)[.. image.Select(layer => (IReadOnlyList<float>)layer)])];

    private static ModelSession Session(IModel model) =>
        (model as ISessionModel)?.Session ?? throw new InvalidOperationException("Visualisations need a model loaded by the engine.");
}
