namespace UnitScope.Rendering;

/// <summary>Resampling of activation maps (row-major float grids) to image size.</summary>
public static class MapUpsampling
{
    /// <summary>
    /// Bilinear resampling of an <paramref name="height"/> × <paramref name="width"/> grid to
    /// <paramref name="outHeight"/> × <paramref name="outWidth"/> with the semantics of PyTorch's
    /// <c>F.interpolate(mode="bilinear", align_corners=False)</c> given an output size: pixel
    /// centres are aligned, the source coordinate of output index i is (i + 0.5) · in/out − 0.5,
    /// clamped below at 0, and the neighbour past the last row/column is the last one (edge clamp).
    /// Works for shrinking too (without antialiasing, like PyTorch's default).
    /// </summary>
    public static float[] Bilinear(ReadOnlySpan<float> values, int height, int width, int outHeight, int outWidth)
    {
        if (height <= 0 || width <= 0 || outHeight <= 0 || outWidth <= 0)
            throw new ArgumentException($"Cannot resample {height}x{width} to {outHeight}x{outWidth}.");
        if (values.Length != height * width)
            throw new ArgumentException($"A {height}x{width} map needs {height * width} values, not {values.Length}.", nameof(values));

        var (x0, x1, wx) = Taps(width, outWidth);
        var (y0, y1, wy) = Taps(height, outHeight);
        var result = new float[outHeight * outWidth];
        for (int oy = 0; oy < outHeight; oy++)
        {
            var top = values.Slice(y0[oy] * width, width);
            var bottom = values.Slice(y1[oy] * width, width);
            float ly = wy[oy];
            var row = result.AsSpan(oy * outWidth, outWidth);
            for (int ox = 0; ox < outWidth; ox++)
            {
                float lx = wx[ox];
                float t = (1 - lx) * top[x0[ox]] + lx * top[x1[ox]];
                float b = (1 - lx) * bottom[x0[ox]] + lx * bottom[x1[ox]];
                row[ox] = (1 - ly) * t + ly * b;
            }
        }
        return result;
    }

    /// <summary>For each output index along one axis: the two source indices and the weight of the second.</summary>
    static (int[] I0, int[] I1, float[] Lambda) Taps(int inSize, int outSize)
    {
        var i0 = new int[outSize];
        var i1 = new int[outSize];
        var lambda = new float[outSize];
        double scale = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double src = Math.Max((o + 0.5) * scale - 0.5, 0);
            int lo = Math.Min((int)src, inSize - 1);
            i0[o] = lo;
            i1[o] = Math.Min(lo + 1, inSize - 1);
            lambda[o] = (float)(src - lo);
        }
        return (i0, i1, lambda);
    }
}
