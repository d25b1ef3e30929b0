using System.Globalization;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Imaging;
using UnitScope.Protocol;
using UnitScope.Rendering;
using UnitScope.Rendering.Colormaps;

namespace UnitScope.Server.Analysis;

/// <summary>
/// The pictures the occlusion panel lays over the image, from Rendering's primitives: each per-position
/// map spread over the input's pixels (<see cref="OcclusionResult.ToPixels"/>) and coloured (viridis,
/// min–max), the class map in one colour per class, and the image at the model's input size. All at
/// the input's size, so the panel stacks them.
/// </summary>
internal static class OcclusionPictures
{
    /// <summary>Colours of the class map, in legend order (most positions first); they repeat past the tenth class.</summary>
    public static readonly IReadOnlyList<string> ClassColors =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    /// <summary>The image as the model sees it (resized to its input), as RGB.</summary>
    public static RgbImage Input(RgbImage image, int width, int height) => ToRgb(ImageResize.Resize(image, width, height));

    /// <summary>A per-position map as a heatmap at the input's size (pixels no square covers take the map's minimum).</summary>
    public static RgbImage Heatmap(OcclusionResult result, float[] perPosition)
    {
        var pixels = result.ToPixels(perPosition);
        var min = perPosition.Length == 0 ? 0 : perPosition.Min();
        for (var i = 0; i < pixels.Length; i++)
            if (float.IsNaN(pixels[i])) pixels[i] = min;
        var map = new UnitMap("", 0, result.InputHeight, result.InputWidth, pixels, pixels.Min(), pixels.Max(), pixels.Average());
        return Rendering.Heatmap.Render(map, colormap: Colormap.Viridis);
    }

    /// <summary>The classes that are the most probable somewhere, most positions first (ties by index), each with its colour.</summary>
    public static IReadOnlyList<ClassLegendEntry> Legend(OcclusionResult result) =>
        [.. result.MostProbableClass.GroupBy(c => c)
            .Select(g => (Index: g.Key, Cells: g.Count()))
            .OrderByDescending(g => g.Cells).ThenBy(g => g.Index)
            .Select((g, i) => new ClassLegendEntry(g.Index, Name(result, g.Index), ClassColors[i % ClassColors.Count], g.Cells))];

    /// <summary>Each pixel in the colour of the most probable class of the square nearest it.</summary>
    public static RgbImage ClassMap(OcclusionResult result, IReadOnlyList<ClassLegendEntry> legend)
    {
        var colors = legend.ToDictionary(l => l.Index, l => Rgb(l.Color));
        var classes = result.ClassesAtPixels();
        var rgb = new byte[classes.Length * 3];
        for (var i = 0; i < classes.Length; i++)
        {
            var (r, g, b) = colors.TryGetValue(classes[i], out var c) ? c : ((byte)128, (byte)128, (byte)128);
            rgb[3 * i] = r;
            rgb[3 * i + 1] = g;
            rgb[3 * i + 2] = b;
        }
        return new RgbImage(result.InputWidth, result.InputHeight, 3, rgb);
    }

    /// <summary><paramref name="over"/> blended onto <paramref name="image"/> (same size) with weight <paramref name="alpha"/>.</summary>
    public static RgbImage Blend(RgbImage image, RgbImage over, float alpha)
    {
        var a = ToRgb(image).Pixels;
        var b = ToRgb(over).Pixels;
        var rgb = new byte[a.Length];
        for (var i = 0; i < rgb.Length; i++) rgb[i] = (byte)MathF.Round(a[i] * (1 - alpha) + b[i] * alpha);
        return new RgbImage(image.Width, image.Height, 3, rgb);
    }

    /// <summary>Pictures side by side with a gap, on a white strip (figure 7 as one picture).</summary>
    public static RgbImage Row(IReadOnlyList<RgbImage> pictures, int gap = 4)
    {
        var height = pictures.Max(p => p.Height);
        var width = pictures.Sum(p => p.Width) + gap * (pictures.Count - 1);
        var rgb = new byte[width * height * 3];
        Array.Fill(rgb, (byte)255);
        var x0 = 0;
        foreach (var p in pictures.Select(ToRgb))
        {
            for (var y = 0; y < p.Height; y++)
                Array.Copy(p.Pixels, y * p.Width * 3, rgb, (y * width + x0) * 3, p.Width * 3);
            x0 += p.Width + gap;
        }
        return new RgbImage(width, height, 3, rgb);
    }

    private static string Name(OcclusionResult result, int index) =>
        index >= 0 && index < result.ClassNames.Count ? result.ClassNames[index] : $"class {index}";

    private static RgbImage ToRgb(RgbImage image)
    {
        if (image.Channels == 3) return image;
        var rgb = new byte[image.Width * image.Height * 3];
        for (var i = 0; i < image.Width * image.Height; i++)
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = image.Pixels[i * image.Channels];
        return new RgbImage(image.Width, image.Height, 3, rgb);
    }

    private static (byte, byte, byte) Rgb(string hex)
    {
        var v = int.Parse(hex.AsSpan(1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return ((byte)(v >> 16), (byte)(v >> 8), (byte)v);
    }
}
