using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// A convolution's filters as a grid of small pictures (Zeiler and Fergus figure 6): each filter stretched on its own
/// from its smallest to its largest weight over every channel (so a filter keeps its colour balance), 3 channels as
/// RGB and 1 as grey, enlarged by whole pixels so a 7×7 or 11×11 filter can be seen, in rows of about √n.
/// </summary>
public static class FilterGrid
{
    /// <summary>Grey between the filters, mid-way so it reads on light and dark themes alike.</summary>
    public const byte GapLevel = 96;
    public const int Gap = 2;
    /// <summary>Enlarge each filter to at least this many pixels a side.</summary>
    public const int MinimumCell = 24;

    public static int Columns(int filters) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(filters)));

    /// <summary>Screen pixels per weight: the smallest whole number that makes a cell at least <see cref="MinimumCell"/>.</summary>
    public static int Scale(FilterWeights filters) =>
        Math.Max(1, (int)Math.Ceiling(MinimumCell / (double)Math.Max(1, Math.Min(filters.Height, filters.Width))));

    public static byte[] RenderPng(FilterWeights filters) => Png.Encode(Draw(filters));

    public static RgbImage Draw(FilterWeights filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Channels is not (1 or 3))
            throw new ArgumentException($"Filters over {filters.Channels} channels are not pictures (1 or 3 channels).", nameof(filters));
        int scale = Scale(filters), columns = Columns(filters.Filters), rows = (filters.Filters + columns - 1) / columns;
        int cellWidth = filters.Width * scale, cellHeight = filters.Height * scale;
        int width = Gap + columns * (cellWidth + Gap), height = Gap + rows * (cellHeight + Gap);
        int channels = filters.Channels;
        var pixels = new byte[width * height * channels];
        Array.Fill(pixels, GapLevel);
        for (int f = 0; f < filters.Filters; f++)
        {
            var (lo, hi) = Range(filters, f);
            int left = Gap + f % columns * (cellWidth + Gap), top = Gap + f / columns * (cellHeight + Gap);
            for (int y = 0; y < cellHeight; y++)
                for (int x = 0; x < cellWidth; x++)
                    for (int c = 0; c < channels; c++)
                        pixels[((top + y) * width + left + x) * channels + c] = Level(filters.At(f, c, y / scale, x / scale), lo, hi);
        }
        return new RgbImage(width, height, channels, pixels);
    }

    /// <summary>A weight's grey level within its filter's range; a constant filter is mid-grey.</summary>
    public static byte Level(float value, float lo, float hi) =>
        hi > lo ? (byte)Math.Round(255 * Math.Clamp((value - lo) / (hi - lo), 0f, 1f)) : (byte)128;

    static (float Lo, float Hi) Range(FilterWeights filters, int filter)
    {
        int size = filters.Channels * filters.Height * filters.Width;
        var values = filters.Values.AsSpan(filter * size, size);
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            lo = Math.Min(lo, v);
            hi = Math.Max(hi, v);
        }
        return float.IsFinite(lo) ? (lo, hi) : (0, 0);
    }
}
