using UnitScope.Engine;
using UnitScope.Engine.Imaging;
using UnitScope.Protocol;
using UnitScope.Server.Models;

namespace UnitScope.Server.Analysis;

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
