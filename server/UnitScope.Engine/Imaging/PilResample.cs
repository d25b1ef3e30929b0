namespace UnitScope.Engine.Imaging;

/// <summary>
/// Resizing 8-bit images exactly as PIL's <c>Image.resize</c> does (what torchvision's <c>Resize</c> runs on a PIL
/// image), so a model sees the bytes it saw in training. Hand-written after reading PIL's algorithm
/// (libImaging/Resample.c and, for nearest, Geometry.c's affine scaling); no library served here reproduces it.
/// <list type="bullet">
/// <item>Filters (bilinear, bicubic a = −0.5, box, hamming, lanczos-3) are applied in two separable passes,
/// horizontal then vertical, each skipped when that side keeps its size.</item>
/// <item>When shrinking, the filter's support is widened by the scale factor (antialiasing): each output pixel
/// averages every input pixel under it.</item>
/// <item>Each pass's weights are computed in double, normalised to sum to 1, then rounded to 22-bit fixed point;
/// sums start at one half and are shifted back and clamped to a byte, so every pass rounds to uint8 as PIL's does
/// (the intermediate image between the passes is 8-bit too).</item>
/// <item>Nearest takes the input pixel under each output pixel's centre, stepping the source position by
/// repeated addition as PIL does (a product could round the other way at a boundary).</item>
/// </list>
/// </summary>
public static class PilResample
{
    /// <summary>22 bits of fraction: a byte times a weight, summed, stays within an int with room for overshoot.</summary>
    const int PrecisionBits = 32 - 8 - 2;

    /// <summary>A copy of <paramref name="image"/> at <paramref name="width"/> × <paramref name="height"/>; the same
    /// instance when the size already matches (PIL copies it unchanged).</summary>
    public static RgbImage Resize(RgbImage image, int width, int height, Resampling resampling)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Validate();
        if (width <= 0 || height <= 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Cannot resize an image to {width}x{height}.");
        if (image.Width == width && image.Height == height)
            return image;
        if (resampling == Resampling.Nearest)
            return Nearest(image, width, height);

        var filter = FilterOf(resampling);
        var horizontal = Weights.For(image.Width, width, filter);
        var vertical = Weights.For(image.Height, height, filter);
        var current = image;
        if (width != image.Width)
        {
            // Only the source rows the vertical pass reads are resampled horizontally.
            int first = vertical.Start[0], last = vertical.Start[height - 1] + vertical.Count[height - 1];
            current = Horizontal(image, horizontal, first, last);
            vertical = vertical.Shifted(-first);
        }
        if (height != image.Height)
            current = Vertical(current, vertical);
        return current;
    }

    static RgbImage Horizontal(RgbImage source, Weights w, int firstRow, int endRow)
    {
        int c = source.Channels, inRow = source.Width * c, outWidth = w.Start.Length;
        var src = source.Pixels;
        var dst = new byte[(endRow - firstRow) * outWidth * c];
        for (int y = firstRow; y < endRow; y++)
        {
            int rowIn = y * inRow, rowOut = (y - firstRow) * outWidth * c;
            for (int xx = 0; xx < outWidth; xx++)
            {
                int start = w.Start[xx], count = w.Count[xx], k = xx * w.KSize;
                for (int ch = 0; ch < c; ch++)
                {
                    int sum = 1 << (PrecisionBits - 1);
                    for (int x = 0; x < count; x++)
                        sum += src[rowIn + (start + x) * c + ch] * w.Fixed[k + x];
                    dst[rowOut + xx * c + ch] = Clip8(sum);
                }
            }
        }
        return new RgbImage(outWidth, endRow - firstRow, c, dst);
    }

    static RgbImage Vertical(RgbImage source, Weights w)
    {
        int c = source.Channels, row = source.Width * c, outHeight = w.Start.Length;
        var src = source.Pixels;
        var dst = new byte[outHeight * row];
        for (int yy = 0; yy < outHeight; yy++)
        {
            int start = w.Start[yy], count = w.Count[yy], k = yy * w.KSize;
            for (int i = 0; i < row; i++)
            {
                int sum = 1 << (PrecisionBits - 1);
                for (int y = 0; y < count; y++)
                    sum += src[(start + y) * row + i] * w.Fixed[k + y];
                dst[yy * row + i] = Clip8(sum);
            }
        }
        return new RgbImage(source.Width, outHeight, c, dst);
    }

    /// <summary>The fixed-point sum back to a byte: an arithmetic shift (floor, as C's on PIL's targets), clamped.</summary>
    static byte Clip8(int sum) => (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);

    /// <summary>Per output pixel along one axis: the first input pixel, how many, and their fixed-point weights.</summary>
    sealed record Weights(int[] Start, int[] Count, int[] Fixed, int KSize)
    {
        public static Weights For(int inSize, int outSize, Filter filter)
        {
            // PIL computes in double from float box coordinates; whole sizes are exact in both.
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = filter.Support * filterScale;
            int kSize = (int)Math.Ceiling(support) * 2 + 1;
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new int[outSize * kSize];
            var k = new double[kSize];
            double inverse = 1.0 / filterScale;
            for (int xx = 0; xx < outSize; xx++)
            {
                double center = (xx + 0.5) * scale;
                // (int) truncates toward zero as C's cast does; the clamps follow.
                int min = Math.Max(0, (int)(center - support + 0.5));
                int max = Math.Min(inSize, (int)(center + support + 0.5)) - min;
                double total = 0;
                for (int x = 0; x < max; x++)
                {
                    double v = filter.Weight((x + min - center + 0.5) * inverse);
                    k[x] = v;
                    total += v;
                }
                for (int x = 0; x < max; x++)
                {
                    double normal = total != 0 ? k[x] / total : k[x];
                    weights[xx * kSize + x] = normal < 0
                        ? (int)(-0.5 + normal * (1 << PrecisionBits))
                        : (int)(0.5 + normal * (1 << PrecisionBits));
                }
                start[xx] = min;
                count[xx] = max;
            }
            return new Weights(start, count, weights, kSize);
        }

        public Weights Shifted(int by) => this with { Start = [.. Start.Select(s => s + by)] };
    }

    readonly record struct Filter(Func<double, double> Weight, double Support);

    static Filter FilterOf(Resampling resampling) => resampling switch
    {
        Resampling.Box => new(x => x > -0.5 && x <= 0.5 ? 1.0 : 0.0, 0.5),
        Resampling.Bilinear => new(x => Math.Abs(x) < 1.0 ? 1.0 - Math.Abs(x) : 0.0, 1.0),
        Resampling.Hamming => new(Hamming, 1.0),
        Resampling.Bicubic => new(Bicubic, 2.0),
        Resampling.Lanczos => new(x => -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0, 3.0),
        _ => throw new ArgumentOutOfRangeException(nameof(resampling), resampling, null),
    };

    static double Hamming(double x)
    {
        x = Math.Abs(x);
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        // PIL writes the constants as C floats (0.54f, 0.46f): their exact float values take part.
        return Math.Sin(x) / x * (0.54f + 0.46f * Math.Cos(x));
    }

    static double Bicubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    /// <summary>
    /// For each of <paramref name="outSize"/> positions, the source index nearest its centre, as PIL's nearest
    /// computes it: a step of in / out as a double, positions from half a step, advanced by repeated addition.
    /// An index can reach <paramref name="inSize"/> through that rounding (PIL then leaves the pixel black).
    /// </summary>
    public static int[] NearestIndices(int inSize, int outSize)
    {
        double step = (double)inSize / outSize, at = step * 0.5;
        var indices = new int[outSize];
        for (int i = 0; i < outSize; i++, at += step)
            indices[i] = at < 0 ? -1 : (int)at;
        return indices;
    }

    static RgbImage Nearest(RgbImage image, int width, int height)
    {
        int c = image.Channels;
        var columns = NearestIndices(image.Width, width);
        var rows = NearestIndices(image.Height, height);
        var dst = new byte[width * height * c];
        for (int y = 0; y < height; y++)
        {
            int sy = rows[y];
            if (sy < 0 || sy >= image.Height) continue;
            for (int x = 0; x < width; x++)
            {
                int sx = columns[x];
                if (sx < 0 || sx >= image.Width) continue;
                Array.Copy(image.Pixels, (sy * image.Width + sx) * c, dst, (y * width + x) * c, c);
            }
        }
        return new RgbImage(width, height, c, dst);
    }
}
