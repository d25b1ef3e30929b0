using System.Globalization;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Imaging;
using UnitScope.Protocol;
using UnitScope.Rendering;
using UnitScope.Rendering.Charts;
using UnitScope.Rendering.Colormaps;

namespace UnitScope.Server.Analysis;

/// <summary>
/// The pictures the occlusion panel lays over the image, from Rendering's primitives: each per-position
/// map spread over the input's pixels (<see cref="OcclusionResult.ToPixels"/>) and coloured (viridis,
/// min–max), the class map in one colour per class (<see cref="OcclusionFigure.ClassLegend"/>'s, as in the
/// composite), and the image at the model's input size. All at the input's size, so the panel stacks them.
/// </summary>
internal static class OcclusionPictures
{
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
        [.. OcclusionFigure.ClassLegend(result).Select(l => new ClassLegendEntry(l.Class, l.Name, AnalysisColors.Hex(l.Color), l.Positions))];

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
