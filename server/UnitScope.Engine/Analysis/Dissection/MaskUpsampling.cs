using System.Collections.Concurrent;
using System.Runtime.Intrinsics;
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

    /// <summary>
    /// The same weights for managed code: output o = Weight0[o]·x[Index0[o]] + Weight1[o]·x[Index1[o]].
    /// </summary>
    internal sealed record Axis(int[] Index0, int[] Index1, float[] Weight0, float[] Weight1)
    {
        static readonly ConcurrentDictionary<(int, int), Axis> Cache = new();

        public static Axis For(int inSize, int outSize) => Cache.GetOrAdd((inSize, outSize), key =>
        {
            var (n, m) = key;
            var axis = new Axis(new int[m], new int[m], new float[m], new float[m]);
            float scale = (float)n / m;
            for (int o = 0; o < m; o++)
            {
                float source = Math.Max(scale * (o + 0.5f) - 0.5f, 0f);
                int i0 = Math.Min((int)source, n - 1);
                float lambda1 = source - i0;
                axis.Index0[o] = i0;
                axis.Index1[o] = Math.Min(i0 + 1, n - 1);
                axis.Weight0[o] = 1f - lambda1;
                axis.Weight1[o] = lambda1;
            }
            return axis;
        });
    }

    /// <summary>
    /// Resamples one map [h × w] as <see cref="ToMask"/> does, into <paramref name="output"/>
    /// [maskHeight × maskWidth], in managed code: width first (into <paramref name="scratch"/>,
    /// h × maskWidth), then each output row as a blend of two of those rows, the order of the matrix
    /// products; equal to them up to float32 rounding.
    /// </summary>
    public static void Resample(ReadOnlySpan<float> map, int height, int width, int maskHeight, int maskWidth,
        Span<float> scratch, Span<float> output)
    {
        var across = height == maskHeight ? output : scratch[..(height * maskWidth)];
        if (width == maskWidth)
            map.CopyTo(across);
        else
        {
            var x = Axis.For(width, maskWidth);
            for (int y = 0; y < height; y++)
            {
                var source = map.Slice(y * width, width);
                var target = across.Slice(y * maskWidth, maskWidth);
                for (int o = 0; o < maskWidth; o++)
                    target[o] = x.Weight0[o] * source[x.Index0[o]] + x.Weight1[o] * source[x.Index1[o]];
            }
        }
        if (height == maskHeight) return;
        var yAxis = Axis.For(height, maskHeight);
        for (int o = 0; o < maskHeight; o++)
        {
            var a = across.Slice(yAxis.Index0[o] * maskWidth, maskWidth);
            var b = across.Slice(yAxis.Index1[o] * maskWidth, maskWidth);
            var target = output.Slice(o * maskWidth, maskWidth);
            float wa = yAxis.Weight0[o], wb = yAxis.Weight1[o];
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var va = Vector256.Create(wa);
                var vb = Vector256.Create(wb);
                for (; i + 8 <= maskWidth; i += 8)
                    (Vector256.Create(a.Slice(i, 8)) * va + Vector256.Create(b.Slice(i, 8)) * vb).CopyTo(target.Slice(i, 8));
            }
            for (; i < maskWidth; i++) target[i] = wa * a[i] + wb * b[i];
        }
    }

    /// <summary>Rows per chunk for masks of <paramref name="pixels"/> values.</summary>
    public static long RowsPerChunk(long pixels) => Math.Max(1, ChunkValues / Math.Max(1, pixels));
}
