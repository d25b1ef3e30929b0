using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Imaging;
using UnitScope.Protocol;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Analysis;

/// <summary>Which evaluation set: the built-in probe set (its scene labels), or an ImageFolder (full path).</summary>
internal sealed record EvaluationSetSpec(string? Folder)
{
    public const string ProbeName = "probe";

    public static EvaluationSetSpec Probe { get; } = new((string?)null);

    public bool IsProbe => Folder is null;

    /// <summary>"probe" or the folder: what results name as their evaluation set.</summary>
    public string Name => Folder ?? ProbeName;

    /// <summary>"probe", empty or absent: the probe set; anything else: a folder that must exist.</summary>
    /// <exception cref="StreamJsonRpc.LocalRpcException">FileNotFound.</exception>
    public static EvaluationSetSpec Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals(ProbeName, StringComparison.OrdinalIgnoreCase)) return Probe;
        var folder = Path.GetFullPath(text.Trim());
        UserFile.RequireInside(folder, "Evaluation set folder");
        if (!Directory.Exists(folder))
            throw RpcErrors.Application(ErrorKind.FileNotFound,
                File.Exists(folder)
                    ? $"Evaluation set '{folder}' is a file; give an ImageFolder (one sub-folder of images per class) or \"probe\"."
                    : $"Evaluation set folder not found: '{folder}'. Give an ImageFolder (one sub-folder of images per class) or \"probe\".");
        return new EvaluationSetSpec(folder);
    }
}

/// <summary>An opened evaluation set, as handlers see it (the engine keeps what it needs behind it).</summary>
internal interface IEvaluationData
{
    /// <summary>"probe" or the folder.</summary>
    string Name { get; }
    /// <summary>Identity of the content: part of every cache key.</summary>
    string ContentHash { get; }
    int Count { get; }
}

/// <summary>
/// A step of an analysis: <paramref name="Done"/> of <paramref name="Total"/> in <paramref name="Phase"/>
/// (images, square positions or evaluations of an image under a set of zeroed units: see <see cref="AnalysisPhase"/>).
/// </summary>
internal sealed record AnalysisProgress(AnalysisPhase Phase, long Done, long Total);

/// <summary>Occlusion parameters, checked and resolved except what needs the image (target class, unit).</summary>
internal sealed record OcclusionSettings(
    int Size,
    int Stride,
    IReadOnlyList<float>? Fill,
    int? TargetClass,
    string? Layer,
    int? Unit,
    int BatchSize);

internal sealed record AblationSettings(
    string Layer,
    IReadOnlyList<int> Units,
    bool RandomControl,
    int Seed,
    int? MaxImages,
    int BatchSize);

internal sealed record RankSettings(
    string Layer,
    int Class,
    RankMetric Metric,
    int Top,
    int RandomDraws,
    int? MaxImages,
    int BatchSize);

internal sealed record UnitClassSettings(
    string Layer,
    int Unit,
    int Class,
    int? MaxImages,
    int BatchSize);

/// <summary>
/// What the daemon needs of occlusion and ablation, behind an interface so handler tests run without
/// TorchSharp (as <see cref="Dissection.IDissectionEngine"/>). Results come as protocol records with
/// their PNGs rendered; handlers add what the daemon knows (dissection labels, the set's name).
/// Every method that runs the model is called holding the device gate and reports progress between
/// batches, where the reporter may block (the device is handed to other requests there); each honours
/// its token between batches. None leaves the model changed: ablations zero units in forward hooks
/// that are removed when the pass ends, and nothing writes to a parameter.
/// </summary>
internal interface IAnalysisEngine
{
    /// <summary>The model's class names, by index ("class N" when the model has none).</summary>
    IReadOnlyList<string> ClassNames(IModel model);

    /// <summary>Opens an evaluation set (building the probe set on first use, phase "dataset"); runs no model.</summary>
    /// <exception cref="UnitScopeException">FileNotFound, InvalidArgument (not an ImageFolder, classes that match none of the model's).</exception>
    IEvaluationData OpenEvaluationSet(IModel model, EvaluationSetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>Occlusion maps of one image, already sized for the model (<see cref="IModel.SizeImage"/>); results are
    /// cached, keyed by that image's pixels.</summary>
    OccludeResult Occlude(IModel model, RgbImage image, OcclusionSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>Per-class accuracy before and after zeroing the units (and the random control), with the bar chart.</summary>
    AblateResult Ablate(IModel model, IEvaluationData set, AblationSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>
    /// Every unit of the layer zeroed alone, then the top-k vs random-k curve. <paramref name="measured"/>
    /// receives each batch of newly measured units (with the result's header filled in) as they come.
    /// </summary>
    RankUnitsResult RankUnits(IModel model, IEvaluationData set, RankSettings settings, Action<RankUnitsResult>? measured,
        IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>The unit's activations on the class's images vs the rest, with the jitter plot.</summary>
    UnitClassStatsResult UnitClassStats(IModel model, IEvaluationData set, UnitClassSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct);
}

/// <summary>Stands in until the engine's analyses are wired: every run refused.</summary>
internal sealed class UnavailableAnalysisEngine : IAnalysisEngine
{
    private static UnitScopeException NotAvailable() =>
        new(EngineErrorKind.NativeRuntime, "Occlusion and ablation are not available in this build of the daemon.");

    public IReadOnlyList<string> ClassNames(IModel model) =>
        model.ClassNames is { Count: > 0 } names ? names : [.. Enumerable.Range(0, model.ClassCount).Select(i => $"class {i}")];

    public IEvaluationData OpenEvaluationSet(IModel model, EvaluationSetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct) =>
        throw NotAvailable();

    public OccludeResult Occlude(IModel model, RgbImage image, OcclusionSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct) =>
        throw NotAvailable();

    public AblateResult Ablate(IModel model, IEvaluationData set, AblationSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct) =>
        throw NotAvailable();

    public RankUnitsResult RankUnits(IModel model, IEvaluationData set, RankSettings settings, Action<RankUnitsResult>? measured,
        IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();

    public UnitClassStatsResult UnitClassStats(IModel model, IEvaluationData set, UnitClassSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct) => throw NotAvailable();
}
