using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Rendering;
using UnitScope.Rendering.Charts;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Seeing;

/// <summary>
/// The real thing: <see cref="UnitGallery"/> on the model's <see cref="ModelSession"/>, the top-k pass cached in the
/// shared <see cref="AnalysisStore"/> (the CLI's cache too), datasets opened through the dissection engine (so the
/// probe set is built once and shared), pictures from Rendering.
/// </summary>
internal sealed class EngineSeeing(DaemonLog log, IDissectionEngine dissection, string? cacheFolder = null) : ISeeingEngine
{
    private readonly AnalysisStore _store = new(cacheFolder);

    public IImageData OpenImages(DatasetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct)
    {
        var building = progress is null
            ? null
            : new SyncProgress<Engine.Analysis.Dissection.DissectionProgress>(p => progress.Report(new AnalysisProgress(AnalysisPhase.Dataset, p.ImagesDone, p.ImagesTotal)));
        var dataset = dissection.OpenDataset(spec, building, ct) as BrodenDataset
            ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Dataset '{spec.Name}' is not a Broden-format folder.");
        return new OpenedImages(spec.Name, ImageSet.FromBroden(dataset));
    }

    public P.UnitGalleryResult UnitGallery(IModel model, IImageData images, GallerySettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct)
    {
        var session = Session(model);
        var set = ((OpenedImages)images).Set;
        var relay = new SyncProgress<TopActivationProgress>(p => progress?.Report(new AnalysisProgress(p.Phase, p.Done, p.Total)));
        var r = Engine.Analysis.Seeing.UnitGallery.Compute(_store, session, set, settings.Layer, settings.Unit, Options(settings), out bool cached,
            relay, m => log.Warn(m), ct);
        return ToProtocol(session, images, r, cached);
    }

    public P.UnitGalleryResult? CachedUnitGallery(IModel model, IImageData images, GallerySettings settings, CancellationToken ct)
    {
        var session = Session(model);
        var r = Engine.Analysis.Seeing.UnitGallery.FromStore(_store, session, ((OpenedImages)images).Set, settings.Layer, settings.Unit,
            Options(settings), ct);
        return r is null ? null : ToProtocol(session, images, r, cached: true);
    }

    static ModelSession Session(IModel model) =>
        model is ISessionModel s ? s.Session : throw new InvalidOperationException($"{model.GetType().Name} is not backed by a ModelSession.");

    static UnitGalleryOptions Options(GallerySettings settings) => new()
    {
        K = settings.K,
        Method = settings.Method is null ? null : Enum.Parse<ProjectionMethod>(settings.Method),
        BatchSize = settings.BatchSize,
    };

    static P.UnitGalleryResult ToProtocol(ModelSession session, IImageData images, Engine.Analysis.Seeing.UnitGalleryResult r, bool cached)
    {
        var pictures = Engine.Analysis.Seeing.UnitGallery.Pictures(session, ((OpenedImages)images).Set, r);
        var items = r.Projections.Items.Select((item, i) => new P.GalleryActivation(
            item.Activation.Image, r.ImagePaths[i], item.Activation.Y, item.Activation.X, item.Activation.Value,
            new P.PixelBoxInfo(item.Box.Top, item.Box.Left, item.Box.Height, item.Box.Width),
            Base64(UnitGalleryFigure.WithBox(pictures[i], item.Box)),
            Base64(UnitGalleryFigure.Patch(pictures[i], item.Box)),
            Base64(UnitGalleryFigure.Projection(item)))).ToList();
        return new P.UnitGalleryResult(r.Layer, r.Unit, r.Units, MethodName(r.Projections.Method), r.Projections.Reason, images.Name, r.Images,
            r.Projections.InputWidth, r.Projections.InputHeight, r.Projections.Field?.ToString(), items,
            Convert.ToBase64String(UnitGalleryFigure.RenderPng(r, pictures)), cached);
    }

    /// <summary>The protocol's name of a method (what <c>method</c> takes).</summary>
    public static string MethodName(ProjectionMethod method) => method switch
    {
        ProjectionMethod.Deconvnet => "deconvnet",
        ProjectionMethod.GuidedBackprop => "guided",
        _ => "gradient",
    };

    private static string Base64(Engine.Imaging.RgbImage image) => Convert.ToBase64String(Png.Encode(image));

    private sealed record OpenedImages(string Name, IImageSet Set) : IImageData
    {
        public int Count => Set.Count;
    }
}
