using System.Collections.Concurrent;
using System.Runtime.Intrinsics;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// a_u(x, ·): a unit's map brought to the image's mask size by bilinear interpolation with the weights
/// of PyTorch's <c>F.interpolate(mode="bilinear", align_corners=False)</c> (source coordinate
/// (dst + ½)·in/out − ½, clamped at 0; no antialiasing, whether the mask is larger or smaller), in
/// float32 as PyTorch's kernel computes it: equal to it up to rounding (tests/fixtures/dissection/bilinear.json).
/// Separable: along x, then along y. Dissection resamples cell by cell (<see cref="CellGrid"/>) with
/// these same weights and operations; <see cref="Resample"/> does whole maps.
/// </summary>
internal static class MaskUpsampling
{
    /// <summary>
    /// One axis's weights: output o = Weight0[o]·x[Index0[o]] + Weight1[o]·x[Index1[o]] (float32 arithmetic, as PyTorch's kernel).
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
    /// Resamples one map [h × w] into <paramref name="output"/> [maskHeight × maskWidth]: width first
    /// (into <paramref name="scratch"/>, h × maskWidth), then each output row as a blend of two of those rows.
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
}
