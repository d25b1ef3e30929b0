using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering.Gan;

/// <summary>
/// Pictures of GAN analyses, as PNGs: generated samples (small: 32 px) enlarged by whole pixels so every generated
/// pixel stays visible, beside their segmentation in one category, and samples before and after an edit.
/// </summary>
public static class GanFigures
{
    const int Gap = 4;
    static readonly byte[] Background = [255, 255, 255], RegionOutline = [255, 215, 0];

    /// <summary>Rows of up to <paramref name="columns"/> samples; under each row its <paramref name="category"/> segmentation (when given).</summary>
    public static byte[] SamplesPng(IReadOnlyList<GeneratedSample> samples, string? category, int columns = 8, int scale = 4)
    {
        var rows = new List<IReadOnlyList<RgbImage>>();
        for (int start = 0; start < samples.Count; start += columns)
        {
            var row = samples.Skip(start).Take(columns).ToList();
            rows.Add([.. row.Select(s => s.Image)]);
            if (category is not null)
                rows.Add([.. row.Select(s => Segmentation(s, category))]);
        }
        return Png.Encode(Grid(rows, scale, null));
    }

    /// <summary>Two rows: the samples as generated, and edited (the region outlined on both when given).</summary>
    public static byte[] EditPng(IReadOnlyList<EditExample> examples, ImageRegion? region, int scale = 4) =>
        Png.Encode(Grid([[.. examples.Select(e => e.Original)], [.. examples.Select(e => e.Edited)]], scale, region));

    /// <summary>A category's label map as colours: each concept a colour fixed by its id, none black.</summary>
    public static RgbImage Segmentation(GeneratedSample sample, string category)
    {
        var image = sample.Image;
        var pixels = new byte[image.Width * image.Height * 3];
        if (sample.Labels.TryGetValue(category, out var labels))
            for (int p = 0; p < labels.Length; p++)
            {
                var (r, g, b) = ConceptColour(labels[p]);
                pixels[3 * p] = r;
                pixels[3 * p + 1] = g;
                pixels[3 * p + 2] = b;
            }
        return new RgbImage(image.Width, image.Height, 3, pixels);
    }

    /// <summary>0 → black; others spread over the hue circle by the golden angle, so neighbouring ids differ.</summary>
    public static (byte R, byte G, byte B) ConceptColour(int id)
    {
        if (id <= 0) return (0, 0, 0);
        double hue = id * 137.508 % 360 / 60;
        double x = 1 - Math.Abs(hue % 2 - 1);
        (double r, double g, double b) = ((int)hue) switch { 0 => (1.0, x, 0.0), 1 => (x, 1.0, 0.0), 2 => (0.0, 1.0, x), 3 => (0.0, x, 1.0), 4 => (x, 0.0, 1.0), _ => (1.0, 0.0, x) };
        static byte B(double v) => (byte)Math.Round(40 + 200 * v);
        return (B(r), B(g), B(b));
    }

    static RgbImage Grid(IReadOnlyList<IReadOnlyList<RgbImage>> rows, int scale, ImageRegion? region)
    {
        if (rows.Count == 0 || rows.All(r => r.Count == 0))
            return new RgbImage(1, 1, 3, [.. Background]);
        int cellW = rows.SelectMany(r => r).Max(i => i.Width) * scale, cellH = rows.SelectMany(r => r).Max(i => i.Height) * scale;
        int columns = rows.Max(r => r.Count);
        int width = columns * cellW + (columns + 1) * Gap, height = rows.Count * cellH + (rows.Count + 1) * Gap;
        var pixels = new byte[width * height * 3];
        for (int p = 0; p < width * height; p++) Background.CopyTo(pixels, 3 * p);
        for (int row = 0; row < rows.Count; row++)
            for (int column = 0; column < rows[row].Count; column++)
            {
                var image = rows[row][column];
                int left = Gap + column * (cellW + Gap), top = Gap + row * (cellH + Gap);
                for (int y = 0; y < image.Height * scale; y++)
                    for (int x = 0; x < image.Width * scale; x++)
                    {
                        int sx = x / scale, sy = y / scale;
                        bool outline = region is not null && IsOutline(region, sx, sy, x % scale, y % scale, scale);
                        int target = 3 * ((top + y) * width + left + x);
                        for (int c = 0; c < 3; c++)
                            pixels[target + c] = outline ? RegionOutline[c] : image[sy, sx, image.Channels == 3 ? c : 0];
                    }
            }
        return new RgbImage(width, height, 3, pixels);
    }

    /// <summary>Whether enlarged pixel (sx, sy), at (dx, dy) inside it, is on the region's one-pixel border.</summary>
    static bool IsOutline(ImageRegion r, int sx, int sy, int dx, int dy, int scale)
    {
        bool inX = sx >= r.X0 && sx < r.X1, inY = sy >= r.Y0 && sy < r.Y1;
        return (inY && ((sx == r.X0 && dx == 0) || (sx == r.X1 - 1 && dx == scale - 1)))
            || (inX && ((sy == r.Y0 && dy == 0) || (sy == r.Y1 - 1 && dy == scale - 1)));
    }
}
