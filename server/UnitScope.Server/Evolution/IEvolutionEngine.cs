using UnitScope.Engine;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Evolution;

/// <summary>An opened image set for a comparison, as handlers see it (the engine keeps the images behind it).</summary>
internal interface IComparisonImages
{
    string Name { get; }
    int Count { get; }
}

/// <summary>A comparison's parameters, checked (null layers: the default).</summary>
internal sealed record ComparisonSettings(IReadOnlyList<string>? Layers, int BatchSize);

/// <summary>The engine seam for how training changed a model (a fake in tests).</summary>
internal interface IEvolutionEngine
{
    /// <summary>Opens a dataset's first <paramref name="maxImages"/> images (building the probe set on first use); runs no model.</summary>
    /// <exception cref="UnitScopeException">FileNotFound, InvalidArgument (not a Broden-format folder).</exception>
    IComparisonImages OpenImages(DatasetSpec spec, int maxImages, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>Checks the layers against both models (same shapes); runs nothing.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, InvalidArgument naming the layer.</exception>
    void CheckComparison(IModel a, IModel b, ComparisonSettings settings);

    /// <summary>The two models compared on the images; cached.</summary>
    P.CompareCheckpointsResult Compare(IModel a, IModel b, IComparisonImages images, ComparisonSettings settings,
        IProgress<AnalysisProgress>? progress, CancellationToken ct);
}

/// <summary>Stands in where no engine is wired: every run refused.</summary>
internal sealed class UnavailableEvolutionEngine : IEvolutionEngine
{
    private static UnitScopeException NotAvailable() =>
        new(EngineErrorKind.NativeRuntime, "Comparing checkpoints is not available in this build of the daemon.");

    public IComparisonImages OpenImages(DatasetSpec spec, int maxImages, IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();

    public void CheckComparison(IModel a, IModel b, ComparisonSettings settings) => throw NotAvailable();

    public P.CompareCheckpointsResult Compare(IModel a, IModel b, IComparisonImages images, ComparisonSettings settings,
        IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();
}
