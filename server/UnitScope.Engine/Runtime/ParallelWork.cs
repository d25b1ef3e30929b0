namespace UnitScope.Engine.Runtime;

/// <summary>
/// How the Engine's parallel loops are bounded. Without a bound, <c>Parallel.For</c> keeps taking every
/// thread the .NET thread pool adds while it runs, so in the daemon the message loop (which needs a pool
/// thread to read <c>$/cancelRequest</c>, send progress or answer a hover) starves until the loop ends:
/// a cancel sent while the probe set was being generated arrived only after it was done.
/// </summary>
public static class ParallelWork
{
    /// <summary>At most one worker per core (the calling thread counts as one), honouring <paramref name="ct"/>.</summary>
    public static ParallelOptions Options(CancellationToken ct = default) =>
        new() { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount), CancellationToken = ct };
}
