using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Demo;
using UnitScope.Engine.Storage;
using UnitScope.Rendering;
using UnitScope.Rendering.Charts;
using UnitScope.Rendering.Gan;
using UnitScope.Server.Analysis;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Gan;

/// <summary>
/// The real thing: <see cref="GanDissector"/> and <see cref="GanEditor"/> on the model's <see cref="ModelSession"/>, the
/// dissection cached in the shared <see cref="AnalysisStore"/> (the CLI's cache too: <c>gan-dissect</c> and the daemon
/// share results), pictures from Rendering. The segmenter is the one named, or the demo segmenter when the cache has it.
/// </summary>
internal sealed class EngineGan(DaemonLog log, string? cacheFolder = null) : IGanEngine
{
    /// <summary>Samples the result's grid shows.</summary>
    private const int GridSamples = 16;

    private readonly string _cacheFolder = cacheFolder ?? CacheDirectory.Resolve();
    private AnalysisStore Store => new(_cacheFolder);

    public void Check(IModel model, string layer, string? segmenterPath)
    {
        var session = Session(model);
        if (!session.IsGenerator)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{Path.GetFileName(session.CheckpointPath)} ({session.Architecture}) is not an image generator: GAN analyses need one whose input is a latent vector (a DCGAN-style generator).");
        new ModelActivationSource(session).CheckLayers([layer]);
        SegmenterPath(segmenterPath);
    }

    public P.GanDissectResult Dissect(IModel model, GanDissectSettings s, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        var defaults = new GanDissectionOptions();
        var options = defaults with
        {
            Samples = s.Samples ?? defaults.Samples,
            Seed = s.Seed ?? defaults.Seed,
            Quantile = s.Quantile ?? defaults.Quantile,
            IouThreshold = s.IouThreshold ?? defaults.IouThreshold,
            BatchSize = s.BatchSize ?? defaults.BatchSize,
        };
        options.Validate();
        using var segmenter = ModelSegmenter.Load(SegmenterPath(s.SegmenterPath), session.DeviceName);
        var (result, cached) = Dissection(session, segmenter, s.Layer, options, progress, ct);
        var samples = GanSamples.Draw(session, segmenter, Math.Min(GridSamples, options.Samples), options.Seed);
        string category = segmenter.Categories.Contains("object") ? "object" : segmenter.Categories[0];
        var d = result.Dissection;
        return new P.GanDissectResult(result.Layer, options.Samples, options.Seed, samples[0].Image.Width, samples[0].Image.Height,
            [.. d.Units.Select(u => new P.GanUnitLabel(u.Unit, u.Label?.Iou ?? 0, u.Best?.Iou ?? 0, u.Label?.Concept, u.Label?.Category, u.Best?.Concept))],
            d.LabelledByCategory,
            [.. result.ConceptUnits.Where(c => c.Units.Count > 0).Select(c => new P.GanConceptUnits(c.Concept, c.Category, [.. c.Units.Select(u => u.Unit)], [.. c.Units.Select(u => u.Iou)]))],
            category,
            [.. samples.Select(x => new P.GanSample(x.Index, Convert.ToBase64String(Png.Encode(x.Image)), Convert.ToBase64String(Png.Encode(GanFigures.Segmentation(x, category)))))],
            Convert.ToBase64String(LayerSummaryChart.RenderPng(d, images: LayerSummaryChart.GeneratedSamples)), cached);
    }

    public P.GanEditResult Edit(IModel model, GanEditSettings s, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var session = Session(model);
        var editDefaults = new GanEditOptions();
        var options = editDefaults with
        {
            Concept = s.Concept,
            Units = s.Units ?? editDefaults.Units,
            Samples = s.Samples ?? editDefaults.Samples,
            Seed = s.Seed ?? editDefaults.Seed,
            RandomDraws = s.RandomDraws ?? editDefaults.RandomDraws,
            Examples = s.Examples ?? editDefaults.Examples,
            Region = s.Region is { } r ? new ImageRegion(r.X0, r.Y0, r.X1, r.Y1) : null,
        };
        var dissectOptions = new GanDissectionOptions() with { Samples = s.DissectSamples ?? new GanDissectionOptions().Samples };
        dissectOptions.Validate();
        using var segmenter = ModelSegmenter.Load(SegmenterPath(s.SegmenterPath), session.DeviceName);
        var (dissection, _) = Dissection(session, segmenter, s.Layer, dissectOptions, progress, ct);
        var relay = new SyncProgress<GanProgress>(p => progress?.Report(new AnalysisProgress(p.Phase, p.Done, p.Total)));
        var ablation = GanEditor.Ablate(session, segmenter, dissection, options, relay, ct);
        var insertion = options.Region is null ? null : GanEditor.Insert(session, segmenter, dissection, options, relay, ct);
        return new P.GanEditResult(dissection.Layer, ablation.Concept, ablation.Category, options.Samples,
            new P.GanAblationResult(ablation.TopUnits, ablation.AreaBefore, ablation.AreaTopAblated, ablation.AreaRandomAblated, ablation.TopDrop,
                ablation.RandomDrop, Examples(ablation.Examples)),
            insertion is null ? null : new P.GanInsertionResult(Region(insertion.Region), Region(insertion.LayerRegion), insertion.Values,
                insertion.InsideBefore, insertion.InsideAfter, insertion.OutsideBefore, insertion.OutsideAfter, insertion.SamplesGaining,
                Examples(insertion.Examples)));
    }

    private (GanDissection Result, bool Cached) Dissection(ModelSession session, ModelSegmenter segmenter, string layer, GanDissectionOptions options,
        IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var key = AnalysisKey.GanDissection(session, segmenter.Identity, layer, options);
        var relay = new SyncProgress<DissectionProgress>(p => progress?.Report(new AnalysisProgress(p.Phase, p.ImagesDone, p.ImagesTotal)));
        var result = Store.GetOrCompute(key, () => GanDissector.Run(session, segmenter, layer, options, relay, ct), out bool cached, m => log.Warn(m));
        return (result, cached);
    }

    /// <summary>The segmenter named, or the demo segmenter when the cache has it (training it is `unitscope gan-demo`'s job).</summary>
    private string SegmenterPath(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            string path = Path.GetFullPath(given.Trim());
            UserFile.RequireRegular(path, $"Segmenter not found: '{path}'.", reason => $"Segmenter '{path}' cannot be read: {reason}");
            UserFile.RequireRegular(SegmenterLabels.PathFor(path), $"The segmenter's label file {SegmenterLabels.PathFor(path)} is missing.",
                reason => $"The segmenter's label file cannot be read: {reason}");
            return path;
        }
        string demo = DemoSegmenter.CachedPath(_cacheFolder, new GanDemoScenes(), new SegmenterTrainingOptions());
        return File.Exists(demo) ? demo : throw new UnitScopeException(EngineErrorKind.FileNotFound,
            "No segmenter given (segmenterPath) and the demo segmenter is not trained yet: run `unitscope gan-demo` once, or name a segmenter.");
    }

    private static P.GanRegion Region(ImageRegion r) => new(r.X0, r.Y0, r.X1, r.Y1);

    private static List<P.GanEditExample> Examples(IReadOnlyList<EditExample> examples) =>
        [.. examples.Select(e => new P.GanEditExample(e.Sample, Convert.ToBase64String(Png.Encode(e.Original)), Convert.ToBase64String(Png.Encode(e.Edited))))];

    private static ModelSession Session(IModel model) =>
        (model as ISessionModel)?.Session ?? throw new InvalidOperationException("GAN analyses need a model loaded by the engine.");
}
