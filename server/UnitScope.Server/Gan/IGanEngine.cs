using UnitScope.Server.Analysis;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Gan;

/// <summary>GAN dissection's parameters as given (null: the default).</summary>
internal sealed record GanDissectSettings(string Layer, string? SegmenterPath, int? Samples, int? Seed, double? Quantile, double? IouThreshold, int? BatchSize);

/// <summary>GAN editing's parameters as given (null: the default).</summary>
internal sealed record GanEditSettings(string Layer, string Concept, int? Units, int? Samples, int? Seed, int? RandomDraws, P.GanRegion? Region,
    int? Examples, string? SegmenterPath, int? DissectSamples);

/// <summary>
/// What the daemon needs of GAN dissection and editing, behind an interface so handler tests run without TorchSharp (as
/// <see cref="IAnalysisEngine"/>). Results come as protocol records with their PNGs rendered. Both are called holding the
/// device gate and report progress between batches; each honours its token there. Neither leaves the model changed.
/// </summary>
internal interface IGanEngine
{
    /// <summary>Checks what can be checked before the run (a generator, the layer, the options, the segmenter's files); runs nothing.</summary>
    /// <exception cref="Engine.UnitScopeException">InvalidArgument, UnknownLayer, FileNotFound naming the problem.</exception>
    void Check(IModel model, string layer, string? segmenterPath);

    P.GanDissectResult Dissect(IModel model, GanDissectSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    P.GanEditResult Edit(IModel model, GanEditSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct);
}

/// <summary>For daemons built without the Engine's GAN analyses (handler tests that do not need them).</summary>
internal sealed class UnavailableGanEngine : IGanEngine
{
    public void Check(IModel model, string layer, string? segmenterPath) => throw NotAvailable();
    public P.GanDissectResult Dissect(IModel model, GanDissectSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();
    public P.GanEditResult Edit(IModel model, GanEditSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();

    private static InvalidOperationException NotAvailable() => new("GAN analyses are not available in this daemon.");
}
