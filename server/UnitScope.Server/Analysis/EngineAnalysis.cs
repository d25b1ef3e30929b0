using System.Collections.Concurrent;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Rendering;
using UnitScope.Rendering.Charts;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using E = UnitScope.Engine.Analysis.Ablation;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Analysis;

/// <summary>
/// The real thing: <see cref="Occluder"/> and <see cref="Ablator"/> on the model's <see cref="ModelSession"/>,
/// results cached in the shared <see cref="AnalysisStore"/> (the CLI's cache too), evaluation sets opened
/// once (the probe set through the dissection engine, so it is built once and shared), pictures from
/// Rendering. Engine records are mapped to the protocol here: the evaluation set's classes become
/// the model's class indices (<see cref="EvaluationSet.MapClasses"/>).
/// </summary>
/// <remarks>
/// The model is left unchanged by every method: the engine zeroes units in a forward hook that exists only
/// during each forward pass (inside the session's forward lock, so two ablations never see each other's
/// units), and nothing writes to a parameter; occlusion only feeds occluded copies of the image.
/// </remarks>
internal sealed class EngineAnalysis : IAnalysisEngine
{
    /// <summary>Random control sets an ablation averages over.</summary>
    public const int ControlSets = 3;

    /// <summary>
    /// Widths of the charts results carry (Rendering's, as the CLI writes them): the ablation chart and the
    /// curve are for saving, the jitter plot is shown in the ranking panel's narrow column.
    /// </summary>
    private const int AblationChartWidth = 640, JitterPlotWidth = 480;

    private readonly DaemonLog _log;
    private readonly IDissectionEngine _dissection;
    private readonly AnalysisStore _store;
    private readonly ConcurrentDictionary<string, IEvaluationSet> _probe = new(StringComparer.Ordinal);

    /// <param name="dissection">Opens (and builds once) the built-in probe set.</param>
    /// <param name="cacheFolder">Default: <see cref="CacheDirectory.Resolve()"/>.</param>
    public EngineAnalysis(DaemonLog log, IDissectionEngine dissection, string? cacheFolder = null)
    {
        _log = log;
        _dissection = dissection;
        _store = new AnalysisStore(cacheFolder);
    }

    public IReadOnlyList<string> ClassNames(IModel model) => Session(model).ClassNames;

    /// <remarks>
    /// An ImageFolder's images are sized as the model's description file says (<c>resize</c>, <c>centerCrop</c>:
    /// <see cref="ModelSession.ImageFolderDefaults"/>), else fed as decoded. The sizing is part of the set's
    /// <see cref="IEvaluationSet.ContentHash"/>, so of every cache key. An ImageFolder is listed again for every
    /// request (a file fixed, added or removed since — an unreadable image replaced — changes its hash, so no stale
    /// result is read back); the built-in probe set is opened once.
    /// </remarks>
    public IEvaluationData OpenEvaluationSet(IModel model, EvaluationSetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        var sizing = spec.IsProbe ? null : session.ImageSizing();
        var set = spec.IsProbe ? _probe.GetOrAdd(spec.Name, _ => Open(spec, sizing, progress, ct)) : Open(spec, sizing, progress, ct);
        // Classes that match none of the model's are an error now, before anything runs on the device.
        EvaluationSet.MapClasses(set, session.ClassNames);
        return new OpenSet(spec.Name, set);
    }

    private IEvaluationSet Open(EvaluationSetSpec spec, ImageFolderOptions? sizing, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        if (!spec.IsProbe)
        {
            if (sizing is { IsEmpty: false }) _log.Info($"Evaluation set {spec.Name}: images {sizing} (the model's description file).");
            return ImageFolderSet.Open(spec.Folder!, sizing);
        }
        var building = progress is null
            ? null
            : new SyncProgress<Engine.Analysis.Dissection.DissectionProgress>(p => progress.Report(new AnalysisProgress(AnalysisPhase.Dataset, p.ImagesDone, p.ImagesTotal)));
        return EvaluationSet.FromProbe(_dissection.OpenDataset(DatasetSpec.Probe, building, ct));
    }

    public P.OccludeResult Occlude(IModel model, RgbImage image, OcclusionSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        var options = new OcclusionOptions
        {
            Size = settings.Size,
            Stride = settings.Stride,
            FillRgb = settings.Fill?.Select(v => (int)MathF.Round(v * 255)).ToList(),
            TargetClass = settings.TargetClass,
            Layer = settings.Layer,
            Unit = settings.Unit,
            BatchSize = settings.BatchSize,
        };
        var relay = new SyncProgress<OcclusionProgress>(p => progress?.Report(new AnalysisProgress(AnalysisPhase.Occlusion, p.PositionsDone, p.PositionsTotal)));
        var key = AnalysisKey.Occlusion(session, Occluder.ImageHash(image), options);
        var r = _store.GetOrCompute(key, () => Occluder.Run(session, image, options, relay, ct), out var cached, m => _log.Warn(m));

        var input = OcclusionPictures.Input(image, r.InputWidth, r.InputHeight);
        var probability = OcclusionPictures.Heatmap(r, r.TargetProbability);
        var legend = OcclusionPictures.Legend(r);
        var classes = OcclusionPictures.ClassMap(r, legend);
        var activity = r.UnitActivity is { } a ? OcclusionPictures.Heatmap(r, a) : null;

        var spec = session.Input;
        IReadOnlyList<float> fill = r.Options.FillRgb is { } rgb
            ? [.. Enumerable.Range(0, spec.Channels).Select(c => rgb[rgb.Count == 1 ? 0 : Math.Min(c, rgb.Count - 1)] / 255f)]
            : [.. spec.Mean];
        var names = r.ClassNames;
        return new P.OccludeResult(
            r.TargetClass, Name(names, r.TargetClass), r.BaseTargetProbability, r.BasePredictedClass, [.. names],
            r.Options.Size, r.Options.Stride, fill, r.Rows, r.Columns, r.InputWidth, r.InputHeight,
            Base64(input),
            Map(r.TargetProbability, r.BaseTargetProbability, probability),
            new P.ClassMap(r.MostProbableClass, legend, Base64(classes)),
            Convert.ToBase64String(OcclusionFigure.RenderPng(image, r)),
            r.UnitActivity is { } values && r.Options.Layer is { } layer && r.Options.Unit is { } unit
                ? new P.UnitActivityMap(layer, unit, settings.Unit is null, Map(values, r.BaseUnitActivity ?? 0, activity!))
                : null,
            cached,
            PreprocessingMapping.ToProtocol(session.Preprocessing(session.ImageSizing())));
    }

    public P.AblateResult Ablate(IModel model, IEvaluationData set, AblationSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        var data = Limited(set, settings.MaxImages);
        var request = new AblationRequest
        {
            Layer = settings.Layer,
            Units = settings.Units,
            RandomControls = settings.RandomControl ? ControlSets : 0,
            Seed = settings.Seed,
            BatchSize = settings.BatchSize,
        };
        var key = AnalysisKey.Ablation(session, data, request);
        var r = _store.GetOrCompute(key, () => E.Ablator.Ablate(session, data, request, Forward(progress), ct), out _, m => _log.Warn(m));
        var map = EvaluationSet.MapClasses(data, session.ClassNames);
        return new P.AblateResult(
            r.Layer, r.Units, set.Name, r.Images, r.AccuracyBefore, r.AccuracyAfter,
            [.. r.Classes.Select(c => new P.ClassAccuracy(map[c.ClassIndex], c.ClassName, c.Images, c.Before, c.After, c.RandomAfter))],
            Convert.ToBase64String(AblationChart.RenderPng(r, AblationChartWidth)), AblationChartWidth, AblationChart.Height(r),
            r.RandomAccuracyAfter is { } after ? new P.AblationControl(r.RandomUnitSets, settings.Seed, after) : null,
            Preprocessing(session, set),
            SkippedOf(r.SkippedImages));
    }

    public P.RankUnitsResult RankUnits(IModel model, IEvaluationData set, RankSettings settings, Action<P.RankUnitsResult>? measured,
        IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        var data = Limited(set, settings.MaxImages);
        var setClass = SetClassOf(data, session.ClassNames, settings.Class);
        var metric = settings.Metric == P.RankMetric.LogProbability ? RankingMetric.LogProbability : RankingMetric.Accuracy;
        var request = new RankingRequest
        {
            Layer = settings.Layer,
            Class = setClass.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Metric = metric,
            Top = settings.Top,
            RandomDraws = settings.RandomDraws,
            BatchSize = settings.BatchSize,
        };
        var label = data.ClassNames[setClass];
        var images = Enumerable.Range(0, data.Count).Count(i => data.ClassOf(i) == setClass);
        P.RankUnitsResult Header(IReadOnlyList<P.RankedUnit> units, double before) =>
            new(settings.Layer, settings.Class, label, settings.Metric, set.Name, images, before, units);

        // Drops arrive before the intact model's metric is known to the caller: "after" is filled in at the end.
        var relay = new SyncProgress<AblationProgress>(p =>
        {
            progress?.Report(new AnalysisProgress(p.Phase, p.Done, p.Total));
            if (measured is not null && p.MeasuredUnits is { Count: > 0 } units)
                measured(Header([.. units.Select(u => Unit(u, settings.Metric, null))], 0));
        });
        var key = AnalysisKey.Ranking(session, data, request);
        var r = _store.GetOrCompute(key, () => E.Ablator.Rank(session, data, request, relay, ct), out var cached, m => _log.Warn(m));
        var before = settings.Metric == P.RankMetric.LogProbability ? r.BaseLogProbability : r.BaseAccuracy;
        if (cached && measured is not null)
            measured(Header([.. r.Units.Select(u => Unit(u, settings.Metric, before))], before));
        var curve = r.Curve.Select(c => settings.Metric == P.RankMetric.LogProbability
            ? new P.CurvePoint(c.K, c.TopLogProbability, c.RandomLogProbability, c.RandomLogProbabilityStd)
            : new P.CurvePoint(c.K, c.TopAccuracy, c.RandomAccuracy, c.RandomAccuracyStd)).ToList();
        return Header([.. r.Units.Select(u => Unit(u, settings.Metric, before))], before) with
        {
            ImageCount = r.Images,
            Curve = curve,
            CurvePng = Convert.ToBase64String(RemovalCurveChart.RenderPng(r)),
            Preprocessing = Preprocessing(session, set),
            Skipped = SkippedOf(r.SkippedImages),
        };
    }

    public P.UnitClassStatsResult UnitClassStats(IModel model, IEvaluationData set, UnitClassSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct)
    {
        var session = Session(model);
        var data = Limited(set, settings.MaxImages);
        var setClass = SetClassOf(data, session.ClassNames, settings.Class);
        var request = new SingleUnitRequest
        {
            Layer = settings.Layer,
            Unit = settings.Unit,
            Class = setClass.ToString(System.Globalization.CultureInfo.InvariantCulture),
            BatchSize = settings.BatchSize,
        };
        var key = AnalysisKey.SingleUnit(session, data, request);
        var r = _store.GetOrCompute(key, () => E.Ablator.SingleUnit(session, data, request, Forward(progress), ct), out _, m => _log.Warn(m));
        return new P.UnitClassStatsResult(r.Layer, r.Unit, settings.Class, r.ClassName, set.Name,
            Summary(r.InClass), Summary(r.Others), r.Auc, Convert.ToBase64String(JitterPlot.RenderPng(r, JitterPlotWidth)), JitterPlotWidth, JitterPlot.Height,
            Preprocessing: Preprocessing(session, set),
            Skipped: SkippedOf(r.SkippedImages));
    }

    /// <summary>How the set's images became the model's input: an image folder's sizing, and its classes matched by
    /// position when the model has no class names (a warning); probe images go in as they are.</summary>
    private static P.PreprocessingInfo? Preprocessing(ModelSession session, IEvaluationData set)
    {
        var inner = ((OpenSet)set).Set;
        if (inner is not ImageFolderSet folder)
            return PreprocessingMapping.ToProtocol(session.Preprocessing(null));
        var warning = EvaluationSet.MatchedByPosition(folder, session.ClassNames);
        return PreprocessingMapping.ToProtocol(session.Preprocessing(folder.Options, warning is null ? null : [warning]));
    }

    /// <summary>Images a run left out, for the wire: the count and the first <see cref="SkippedShown"/> problems; null when none.</summary>
    internal static P.SkippedImages? SkippedOf(IReadOnlyList<SkippedImage> skipped) =>
        skipped.Count == 0 ? null : new P.SkippedImages(skipped.Count, [.. skipped.Take(SkippedShown).Select(s => s.Problem)]);

    const int SkippedShown = 20;

    /// <summary>The set's class that is the model's class <paramref name="modelClass"/>.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument when the set has no such class.</exception>
    private static int SetClassOf(IEvaluationSet set, IReadOnlyList<string> modelClassNames, int modelClass)
    {
        var map = EvaluationSet.MapClasses(set, modelClassNames);
        var found = Array.IndexOf(map, modelClass);
        if (found < 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Class {modelClass} ('{Name(modelClassNames, modelClass)}') has no images in {set.Name}; its classes are " +
                $"{string.Join(", ", set.ClassNames.Take(8).Select(n => $"'{n}'"))}{(set.ClassNames.Count > 8 ? ", …" : "")}.");
        return found;
    }

    private static P.RankedUnit Unit(E.RankedUnit u, P.RankMetric metric, double? before)
    {
        var drop = metric == P.RankMetric.LogProbability ? u.LogProbabilityDrop : u.AccuracyDrop;
        return new P.RankedUnit(u.Unit, drop, u.AccuracyDrop, u.LogProbabilityDrop, before - drop);
    }

    /// <summary>Count, mean, sample standard deviation, min, quartiles (linear interpolation) and max.</summary>
    internal static P.Distribution Summary(IReadOnlyList<float> values)
    {
        if (values.Count == 0) return new P.Distribution(0, 0, 0, 0, 0, 0, 0, 0);
        var sorted = values.Select(v => (double)v).Order().ToArray();
        var mean = sorted.Average();
        var std = sorted.Length < 2 ? 0 : Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / (sorted.Length - 1));
        double Quantile(double q)
        {
            var at = q * (sorted.Length - 1);
            var lo = (int)Math.Floor(at);
            var hi = Math.Min(lo + 1, sorted.Length - 1);
            return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
        }
        return new P.Distribution(sorted.Length, mean, std, sorted[0], Quantile(0.25), Quantile(0.5), Quantile(0.75), sorted[^1]);
    }

    private static IEvaluationSet Limited(IEvaluationData set, int? maxImages)
    {
        var inner = ((OpenSet)set).Set;
        return maxImages is { } max ? EvaluationSet.Limit(inner, max) : inner;
    }

    private static P.OcclusionMap Map(float[] values, float unoccluded, RgbImage heatmap) =>
        new(values, values.Min(), values.Max(), unoccluded, Base64(heatmap));

    private static string Base64(RgbImage image) => Convert.ToBase64String(Png.Encode(image));

    private static string Name(IReadOnlyList<string> names, int index) => index >= 0 && index < names.Count ? names[index] : $"class {index}";

    private static IProgress<AblationProgress>? Forward(IProgress<AnalysisProgress>? progress) =>
        progress is null ? null : new SyncProgress<AblationProgress>(p => progress.Report(new AnalysisProgress(p.Phase, p.Done, p.Total)));

    private static ModelSession Session(IModel model) =>
        model is ISessionModel s ? s.Session : throw new InvalidOperationException($"{model.GetType().Name} is not backed by a ModelSession.");

    /// <summary>Internal, not private, so tests can look at the images of a set the daemon opened.</summary>
    internal sealed record OpenSet(string Name, IEvaluationSet Set) : IEvaluationData
    {
        public string ContentHash => Set.ContentHash;
        public int Count => Set.Count;
    }
}
