namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// The sane totals a checkpoint is held to before its weights are read: what its tensors need must fit in half
/// this machine's memory (a load that does not would take the daemon, and every model in it, down with it),
/// and a compressed storage must not inflate far past its size. torch.save stores storages uncompressed, so a
/// zip entry that inflates a hundredfold into hundreds of megabytes was made to do just that.
/// </summary>
internal static class WeightBudget
{
    /// <summary>Inflating this much from any entry is never refused (a small zero-filled buffer compresses very well).</summary>
    const long FreeInflation = 16L << 20;

    /// <summary>More than this many bytes out per compressed byte (past <see cref="FreeInflation"/>) is a bomb.</summary>
    const long MaxInflationRatio = 100;

    /// <summary>Half the memory the runtime may use (the machine's, or the container's limit).</summary>
    public static long MaxBytes => Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <exception cref="CheckpointProblem">The tensors need more than <see cref="MaxBytes"/>.</exception>
    public static void CheckTotal(long bytes)
    {
        if (bytes > MaxBytes)
            throw CheckpointProblem.Corrupt($"its tensors declare {Size(bytes)}, more than half of this machine's memory ({Size(MaxBytes)}); refused before reading them");
    }

    /// <exception cref="CheckpointProblem">Reading <paramref name="bytes"/> would inflate a compressed entry of <paramref name="compressed"/> bytes too far.</exception>
    public static void CheckInflation(string storage, long bytes, long compressed)
    {
        if (bytes > FreeInflation && bytes > MaxInflationRatio * Math.Max(1, compressed))
            throw CheckpointProblem.Corrupt(
                $"storage {storage} would inflate {Size(bytes)} from {Size(compressed)} compressed (torch.save stores storages uncompressed); refused as a decompression bomb");
    }

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.#} KB",
        _ => $"{bytes} bytes",
    };
}
