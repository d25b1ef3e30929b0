using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// a_u(x, ·): a unit's map brought to the image's mask size by bilinear interpolation with the weights
/// of PyTorch's <c>F.interpolate(mode="bilinear", align_corners=False)</c> (source coordinate
/// (dst + ½)·in/out − ½, clamped at 0; no antialiasing, whether the mask is larger or smaller).
/// Bilinear resampling is separable, so it is computed as two matrix products, A = W_y · X · W_xᵀ, with
/// W [out × in] holding each output's two weights: on the CPU this is several times faster than
/// libtorch's interpolate kernel on many one-channel maps, and equal to it up to float32 rounding
/// (tests/fixtures/dissection/bilinear.json).
/// </summary>
internal static class MaskUpsampling
{
    /// <summary>How many values one chunk of upsampled maps may hold: bounds the temporary tensors (≈ 16 MB of float32).</summary>
    public const long ChunkValues = 1 << 22;

    /// <summary>Maps [R, h, w] → [R, maskHeight × maskWidth], row-major.</summary>
    public static Tensor ToMask(Tensor maps, int maskHeight, int maskWidth)
    {
        long rows = maps.shape[0], height = maps.shape[1], width = maps.shape[2];
        if (height == maskHeight && width == maskWidth)
            return maps.reshape(rows, (long)maskHeight * maskWidth);
        using var scope = NewDisposeScope();
        var across = width == maskWidth
            ? maps
            : maps.reshape(rows * height, width).mm(Weights((int)width, maskWidth, maps.device).t()).view(rows, height, maskWidth);
        var result = height == maskHeight
            ? across
            : Weights((int)height, maskHeight, maps.device).matmul(across);
        return result.reshape(rows, (long)maskHeight * maskWidth).MoveToOuterDisposeScope();
    }

    /// <summary>[outSize × inSize]: row o holds output o's weights on its two source samples (float32 arithmetic, as PyTorch's kernel).</summary>
    internal static Tensor Weights(int inSize, int outSize, Device device)
    {
        var weights = new float[outSize * inSize];
        float scale = (float)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            float source = Math.Max(scale * (o + 0.5f) - 0.5f, 0f);
            int i0 = Math.Min((int)source, inSize - 1);
            int i1 = Math.Min(i0 + 1, inSize - 1);
            float lambda1 = source - i0, lambda0 = 1f - lambda1;
            weights[o * inSize + i0] += lambda0;
            weights[o * inSize + i1] += lambda1;
        }
        return tensor(weights, [outSize, inSize]).to(device);
    }

    /// <summary>Rows per chunk for masks of <paramref name="pixels"/> values.</summary>
    public static long RowsPerChunk(long pixels) => Math.Max(1, ChunkValues / Math.Max(1, pixels));
}
