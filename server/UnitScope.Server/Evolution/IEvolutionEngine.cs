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

/// <summary>A run's parameters, checked: the layers to follow (at least one), whether to dissect them, images per pass.</summary>
internal sealed record RunSettings(IReadOnlyList<string> Layers, bool Dissect, int BatchSize);

/// <summary>Where a run's summaries are: checkpoint <see cref="Checkpoint"/> (1-based) of <see cref="Checkpoints"/>, the
/// images of its pass; checkpoint 0 while the dataset is being built.</summary>
internal sealed record RunProgress(int Checkpoint, int Checkpoints, long ImagesDone, long ImagesTotal);

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

    /// <summary>A run's checkpoint files in training order (epoch/step from their entries, else their names); reads no weights.</summary>
    /// <exception cref="UnitScopeException">FileNotFound: no such folder, or nothing matches.</exception>
    IReadOnlyList<RunCheckpointFile> FindRun(string run, CancellationToken ct);

    /// <summary>Checks the layers against the reference model; runs nothing.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer naming the layer.</exception>
    void CheckRun(IModel reference, RunSettings settings);

    /// <summary>
    /// Each checkpoint of the run read as <paramref name="reference"/> was and summarised on the images; every summary
    /// goes to <paramref name="completed"/> as soon as it is done. Cached per checkpoint.
    /// </summary>
    /// <exception cref="UnitScopeException">Loading errors naming the checkpoint; InvalidArgument.</exception>
    P.EvolveResult Evolve(IModel reference, string run, IReadOnlyList<RunCheckpointFile> checkpoints, IComparisonImages images, RunSettings settings,
        Action<P.CheckpointSummary>? completed, IProgress<RunProgress>? progress, CancellationToken ct);

    /// <summary>A run's files grouped by their bytes (identical files: one member naming them all), in the files' order;
    /// a file that cannot be read now (deleted meanwhile) is left out. Hashes are remembered by path, size and time.</summary>
    IReadOnlyList<RunMember> Members(IReadOnlyList<RunCheckpointFile> files, CancellationToken ct);

    /// <summary>The stored summary of <paramref name="member"/> after <paramref name="previous"/> (null: the first), or
    /// null; runs no model.</summary>
    P.CheckpointSummary? StoredSummary(IModel reference, int index, RunMember member, RunMember? previous, IComparisonImages images, RunSettings settings);

    /// <summary>Whether training has finished writing the file (size steady, structure whole).</summary>
    bool IsComplete(string path, CancellationToken ct);

    /// <summary>One checkpoint summarised after <paramref name="previous"/> as <see cref="Evolve"/> would (the same stored
    /// entry); progress after each batch, where the device may be handed over.</summary>
    /// <exception cref="UnitScopeException">Loading errors naming the checkpoint (deleted, truncated, replaced meanwhile).</exception>
    P.CheckpointSummary Summarise(IModel reference, int index, RunMember member, RunMember? previous, IComparisonImages images, RunSettings settings,
        IProgress<RunProgress>? progress, CancellationToken ct);
}

/// <summary>A checkpoint file of a run and when in training it was written (null: its entries and name do not say).</summary>
internal sealed record RunCheckpointFile(string Path, long? Epoch, long? Step);

/// <summary>A distinct checkpoint of a run: its bytes' hash, every file with those bytes, and when it was written.</summary>
internal sealed record RunMember(string Hash, IReadOnlyList<string> Paths, long? Epoch, long? Step);

/// <summary>Stands in where no engine is wired: every run refused.</summary>
internal sealed class UnavailableEvolutionEngine : IEvolutionEngine
{
    private static UnitScopeException NotAvailable() =>
        new(EngineErrorKind.NativeRuntime, "Comparing checkpoints is not available in this build of the daemon.");

    public IComparisonImages OpenImages(DatasetSpec spec, int maxImages, IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();

    public void CheckComparison(IModel a, IModel b, ComparisonSettings settings) => throw NotAvailable();

    public P.CompareCheckpointsResult Compare(IModel a, IModel b, IComparisonImages images, ComparisonSettings settings,
        IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();

    public IReadOnlyList<RunCheckpointFile> FindRun(string run, CancellationToken ct) => throw NotAvailable();

    public void CheckRun(IModel reference, RunSettings settings) => throw NotAvailable();

    public P.EvolveResult Evolve(IModel reference, string run, IReadOnlyList<RunCheckpointFile> checkpoints, IComparisonImages images, RunSettings settings,
        Action<P.CheckpointSummary>? completed, IProgress<RunProgress>? progress, CancellationToken ct) => throw NotAvailable();

    public IReadOnlyList<RunMember> Members(IReadOnlyList<RunCheckpointFile> files, CancellationToken ct) => throw NotAvailable();

    public P.CheckpointSummary? StoredSummary(IModel reference, int index, RunMember member, RunMember? previous, IComparisonImages images, RunSettings settings) =>
        throw NotAvailable();

    public bool IsComplete(string path, CancellationToken ct) => throw NotAvailable();

    public P.CheckpointSummary Summarise(IModel reference, int index, RunMember member, RunMember? previous, IComparisonImages images, RunSettings settings,
        IProgress<RunProgress>? progress, CancellationToken ct) => throw NotAvailable();
}
