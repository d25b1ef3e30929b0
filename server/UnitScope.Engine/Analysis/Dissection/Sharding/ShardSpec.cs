using System.Globalization;

namespace UnitScope.Engine.Analysis.Dissection.Sharding;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> of a dissection split by images (<c>--shard i/N</c>, i from 0, as a
/// Slurm array's <c>SLURM_ARRAY_TASK_ID</c> or a Kubernetes Indexed Job's <c>JOB_COMPLETION_INDEX</c>).
/// </summary>
public sealed record ShardSpec
{
    public ShardSpec(int index, int count)
    {
        if (count < 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"A dissection is split into at least 1 shard, not {count}.");
        if (index < 0 || index >= count)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Shard {index} of {count} does not exist: shards are numbered 0 to {count - 1}.");
        Index = index;
        Count = count;
    }

    public int Index { get; }
    public int Count { get; }

    /// <summary>"i/N" (e.g. "2/8").</summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the text.</exception>
    public static ShardSpec Parse(string text)
    {
        var parts = (text ?? "").Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            return new ShardSpec(index, count);
        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
            $"--shard '{text}' is not i/N: give this shard's number (from 0) and the number of shards, e.g. --shard 0/4.");
    }

    /// <summary>Names of this shard's files: <c>shard-I-of-N</c>.</summary>
    public string Stem => $"shard-{Index}-of-{Count}";

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>
    /// The images [First, End) this shard dissects out of the first <paramref name="images"/>: contiguous runs of whole
    /// batches of <paramref name="batchSize"/> (the shards' batches are then one run's batches, image for image, so
    /// the forward passes see the same batches), as even as whole batches allow. Shards in order tile 0 … images − 1.
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument when there are fewer batches than shards.</exception>
    public (int First, int End) Range(int images, int batchSize)
    {
        if (images < 1 || batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(images), "Images and batch size must be positive.");
        long batches = (images + (long)batchSize - 1) / batchSize;
        if (batches < Count)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{images} images make {batches} batch(es) of {batchSize}: too few for {Count} shards. Use at most {batches} shards or a smaller --batch-size.");
        long first = batches * Index / Count * batchSize, end = batches * (Index + 1) / Count * batchSize;
        return ((int)Math.Min(first, images), (int)Math.Min(end, images));
    }
}
