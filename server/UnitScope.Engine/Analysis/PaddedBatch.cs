using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis;

/// <summary>
/// Forward passes whose rows give the same numbers whatever else is in the batch. In eval mode every row of a batch
/// is computed on its own, but libtorch's CPU kernels (oneDNN convolutions, BLAS matrix products) choose their
/// summation order by the number of rows, and batches of 1 to about 6 rows give results that differ from larger ones
/// in the last bit. So analyses that compare rows of different passes (occlusion's positions, an invariance sweep's
/// untransformed image against its transformed copies) give every pass at least <see cref="MinRows"/> rows, a shorter
/// one padded with copies of its first row whose results are dropped.
/// </summary>
public static class PaddedBatch
{
    /// <summary>The fewest rows a forward pass is given.</summary>
    public const int MinRows = 8;

    /// <summary><paramref name="batch"/> with copies of its first row appended up to <see cref="MinRows"/> rows.</summary>
    public static Tensor Of(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        long n = batch.shape[0];
        return n >= MinRows ? batch : cat([batch, batch[..1].expand(MinRows - n, -1, -1, -1)], 0);
    }
}
