using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;

namespace UnitScope.Server.Seeing;

/// <summary>An opened image set, as handlers see it (the engine keeps the images behind it).</summary>
internal interface IImageData
{
    /// <summary>"probe" or the folder.</summary>
    string Name { get; }
    int Count { get; }
}

/// <summary>Unit-gallery parameters, checked (the method as the engine's enum name or null for the best).</summary>
internal sealed record GallerySettings(string Layer, int Unit, int K, string? Method, int BatchSize);

/// <summary>
/// What the daemon needs of "what a unit sees" (Zeiler &amp; Fergus), behind an interface so the daemon builds and
/// its handler tests run without the engine, as <see cref="IAnalysisEngine"/>. The gallery runs holding the device
/// gate and reports progress between batches; it honours its token between batches and leaves the model unchanged.
/// </summary>
internal interface ISeeingEngine
{
    /// <summary>Opens a dataset's images (building the probe set on first use, phase "dataset"); runs no model.</summary>
    /// <exception cref="UnitScopeException">FileNotFound, InvalidArgument (not a Broden-format folder).</exception>
    IImageData OpenImages(DatasetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>The unit's strongest activations over the images, each with its patch and projection, pictures drawn.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange, InvalidArgument (a method that does not apply, saying why).</exception>
    UnitGalleryResult UnitGallery(IModel model, IImageData images, GallerySettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct);

    /// <summary>The gallery when the layer's top-k pass over the images is cached (only the winners are projected), else null.</summary>
    /// <exception cref="UnitScopeException">As <see cref="UnitGallery"/>.</exception>
    UnitGalleryResult? CachedUnitGallery(IModel model, IImageData images, GallerySettings settings, CancellationToken ct);
}

/// <summary>Stands in where no engine is wired: every run refused.</summary>
internal sealed class UnavailableSeeingEngine : ISeeingEngine
{
    private static UnitScopeException NotAvailable() =>
        new(EngineErrorKind.NativeRuntime, "Unit galleries are not available in this build of the daemon.");

    public IImageData OpenImages(DatasetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();

    public UnitGalleryResult UnitGallery(IModel model, IImageData images, GallerySettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct) => throw NotAvailable();

    public UnitGalleryResult? CachedUnitGallery(IModel model, IImageData images, GallerySettings settings, CancellationToken ct) =>
        throw NotAvailable();
}
