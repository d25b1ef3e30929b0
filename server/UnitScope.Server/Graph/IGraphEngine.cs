using UnitScope.Engine;
using UnitScope.Server.Analysis;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Graph;

/// <summary>The explanatory graph's parameters as a request gives them (null: the engine's default).</summary>
internal sealed record GraphSettings(
    IReadOnlyList<string> Layers,
    string? ClassName,
    int? PatternsPerFilter,
    int? ParentsPerNode,
    int? Iterations,
    int? PeaksPerMap,
    double? PeakThreshold,
    double? MinFrequency,
    int BatchSize)
{
    public static GraphSettings From(P.ExplanatoryGraphParams p) => new(p.Layers ?? [], p.ClassName, p.PatternsPerFilter, p.ParentsPerNode,
        p.Iterations, p.PeaksPerMap, p.PeakThreshold, p.MinFrequency, AnalysisChecks.BatchSize(p.BatchSize));
}

/// <summary>
/// What the daemon needs of the explanatory graph, behind an interface so handler tests run without TorchSharp (as
/// <see cref="IAnalysisEngine"/>). The set comes from <see cref="OpenSet"/>. <see cref="Mine"/>
/// is called holding the device gate and reports progress between batches and iterations, honouring its token there.
/// </summary>
internal interface IGraphEngine
{
    /// <summary>Opens the evaluation set (building the probe set on first use, phase "dataset"); its classes need not be the
    /// model's (a category is any class folder). Runs no model.</summary>
    IEvaluationData OpenSet(IModel model, EvaluationSetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>The graph of the set's class; cached.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, InvalidArgument naming the parameter.</exception>
    P.ExplanatoryGraphResult Mine(IModel model, IEvaluationData set, GraphSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>A node of the cached graph with its patches; null when the graph is not cached (nothing is mined).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument when the graph has no such node.</exception>
    P.GraphNodeResult? Node(IModel model, IEvaluationData set, GraphSettings settings, int nodeId);
}

/// <summary>Stands in where the engine is not wired: every run refused.</summary>
internal sealed class UnavailableGraphEngine : IGraphEngine
{
    private static UnitScopeException NotAvailable() =>
        new(EngineErrorKind.NativeRuntime, "The explanatory graph is not available in this build of the daemon.");

    public IEvaluationData OpenSet(IModel model, EvaluationSetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct) =>
        throw NotAvailable();

    public P.ExplanatoryGraphResult Mine(IModel model, IEvaluationData set, GraphSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct) => throw NotAvailable();

    public P.GraphNodeResult? Node(IModel model, IEvaluationData set, GraphSettings settings, int nodeId) => throw NotAvailable();
}
