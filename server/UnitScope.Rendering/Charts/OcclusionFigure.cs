using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering.Colormaps;

namespace UnitScope.Rendering.Charts;

/// <summary>Which of an occlusion result's maps to draw.</summary>
public enum OcclusionMap
{
    /// <summary>The target class's probability with the square at each position.</summary>
    TargetProbability,
    /// <summary>The most probable class with the square at each position (categorical).</summary>
    MostProbableClass,
    /// <summary>The chosen unit's total activation with the square at each position.</summary>
    UnitActivity,
}

/// <summary>
/// Occlusion maps over their image, and a composite in the manner of Zeiler &amp; Fergus's figure 7: the input,
/// the target class's probability map, the most-probable-class map with a legend, and the unit-activity map,
/// each panel titled, continuous maps with a colour bar.
/// </summary>
/// <remarks>
/// Continuous maps are spread over the input's pixels (each pixel: the mean over the squares that cover it,
/// <see cref="OcclusionResult.ToPixels"/>) and laid over the image by <see cref="UnitMapRenderer"/> (bilinear
/// to the image's size, min–max over the map unless a range is given). The class map gives each pixel the class
/// of the nearest covering square (<see cref="OcclusionResult.ClassesAtPixels"/>), drawn with a distinct colour
/// per class (<see cref="AnalysisColors.ForClassRank"/>, ranked by how many positions the class wins).
/// </remarks>
public static class OcclusionFigure
{
    public const int DefaultPanelSize = 256;
    const float Pad = 16, TitleHeight = 44;

    /// <summary>One map of <paramref name="result"/> laid over <paramref name="image"/> (the image it was computed on, at its own size).</summary>
    /// <exception cref="ArgumentException">The result has no unit map and <paramref name="map"/> asks for it.</exception>
    public static RgbImage Overlay(RgbImage image, OcclusionResult result, OcclusionMap map, OverlayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(result);
        if (map == OcclusionMap.MostProbableClass)
            return ClassOverlay(image, result, options?.Opacity ?? 0.55f);
        float[] values = Values(result, map);
        var pixels = result.ToPixels(values);
        var unitMap = new UnitMap(map.ToString(), 0, result.InputHeight, result.InputWidth, pixels, values.Min(), values.Max(), values.Average());
        return UnitMapRenderer.RenderOverlay(image, unitMap, options ?? new OverlayOptions { Opacity = 0.6f });
    }

    /// <summary><see cref="Overlay"/>, PNG-encoded.</summary>
    public static byte[] OverlayPng(RgbImage image, OcclusionResult result, OcclusionMap map, OverlayOptions? options = null) =>
        Png.Encode(Overlay(image, result, map, options));

    /// <summary>The classes of the most-probable-class map with their colours and how many positions each wins, most first.</summary>
    public static IReadOnlyList<(int Class, string Name, SKColor Color, int Positions)> ClassLegend(OcclusionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.MostProbableClass.GroupBy(c => c)
            .Select(g => (Class: g.Key, Count: g.Count()))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Class)
            .Select((g, rank) => (g.Class, Name(result, g.Class), AnalysisColors.ForClassRank(rank), g.Count))
            .ToList();
    }

    /// <summary>The figure-7-like composite as PNG bytes.</summary>
    public static byte[] RenderPng(RgbImage image, OcclusionResult result, int panelSize = DefaultPanelSize, Colormap? colormap = null)
    {
        using var bitmap = Render(image, result, panelSize, colormap);
        return ChartText.EncodePng(bitmap);
    }

    /// <summary>
    /// Input | p(target) | most probable class | unit activity (the last panel only when the result has a unit), each
    /// <paramref name="panelSize"/> pixels wide at the model input's aspect ratio.
    /// </summary>
    public static SKBitmap Render(RgbImage image, OcclusionResult result, int panelSize = DefaultPanelSize, Colormap? colormap = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(result);
        if (panelSize < 64)
            throw new ArgumentOutOfRangeException(nameof(panelSize), $"Panels need at least 64 pixels, not {panelSize}.");
        var cmap = colormap ?? Colormap.Viridis;
        int panelHeight = Math.Max(1, (int)Math.Round((double)panelSize * result.InputHeight / result.InputWidth));
        var shown = ImageResize.Resize(image, panelSize, panelHeight);
        bool unit = result.UnitActivity is not null;
        // A one-output model: no probability of a class, and a class map that would be one colour.
        bool score = result.FollowsScore;
        int panels = 2 + (score ? 0 : 1) + (unit ? 1 : 0);
        int width = (int)(Pad + panels * (panelSize + Pad));
        // Below the panels: colour bars (34 px) and the class legend (15 px a row, up to 5 rows and a "more" line).
        int legendRows = score ? 0 : Math.Min(ClassLegend(result).Count, 6);
        int height = (int)(Pad + 30 + TitleHeight + panelHeight + Math.Max(44, 22 + 15 * legendRows) + Pad);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);

        string target = Name(result, result.TargetClass);
        string predicted = Name(result, result.BasePredictedClass);
        ChartText.Draw(canvas, string.Create(CultureInfo.InvariantCulture,
                $"Occlusion sensitivity: {result.Options.Size}×{result.Options.Size} px square, stride {result.Options.Stride}, fill {Fill(result)}"),
            Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);

        float top = Pad + 30 + TitleHeight;
        float x = Pad;
        var overlay = new OverlayOptions { Colormap = cmap, Opacity = 0.6f };

        Panel(canvas, shown, x, top, "input", score
            ? "output " + PlotFrame.Number(result.BaseTargetProbability)
            : string.Create(CultureInfo.InvariantCulture, $"predicted {predicted} ({result.BasePredictedProbability:0.00})"));
        x += panelSize + Pad;

        var probability = Overlay(shown, result, OcclusionMap.TargetProbability, overlay);
        Panel(canvas, probability, x, top, score ? "the output with the square here" : $"p({target}) with the square here",
            score ? "unoccluded " + PlotFrame.Number(result.BaseTargetProbability)
                : string.Create(CultureInfo.InvariantCulture, $"unoccluded {result.BaseTargetProbability:0.000}"));
        ColorBar(canvas, x, top + panelHeight + 10, panelSize, cmap, result.TargetProbability.Min(), result.TargetProbability.Max());
        x += panelSize + Pad;

        if (!score)
        {
            var classes = ClassOverlay(shown, result, 0.55f);
            Panel(canvas, classes, x, top, "most probable class", "with the square here");
            Legend(canvas, ClassLegend(result), x, top + panelHeight + 10, panelSize, result.MostProbableClass.Length);
            x += panelSize + Pad;
        }

        if (unit)
        {
            var activity = Overlay(shown, result, OcclusionMap.UnitActivity, overlay);
            Panel(canvas, activity, x, top, $"{result.Options.Layer} unit {result.Options.Unit}: total activation",
                string.Create(CultureInfo.InvariantCulture, $"unoccluded {PlotFrame.Number(result.BaseUnitActivity ?? 0)}"));
            ColorBar(canvas, x, top + panelHeight + 10, panelSize, cmap, result.UnitActivity!.Min(), result.UnitActivity!.Max());
        }
        return bitmap;
    }

    static string Fill(OcclusionResult result) =>
        result.Options.FillRgb is { } rgb ? "rgb(" + string.Join(", ", rgb) + ")" : "dataset mean";

    static string Name(OcclusionResult result, int cls) =>
        cls >= 0 && cls < result.ClassNames.Count ? result.ClassNames[cls] : $"class {cls}";

    static float[] Values(OcclusionResult result, OcclusionMap map) => map switch
    {
        OcclusionMap.TargetProbability => result.TargetProbability,
        OcclusionMap.UnitActivity => result.UnitActivity
            ?? throw new ArgumentException("This occlusion result has no unit activity map (the model has no layer with maps).", nameof(map)),
        _ => throw new ArgumentOutOfRangeException(nameof(map), map, null),
    };

    /// <summary>Each pixel blended with the colour of its most probable class (nearest square), resampled nearest-neighbour.</summary>
    static RgbImage ClassOverlay(RgbImage image, OcclusionResult result, float opacity)
    {
        var colors = ClassLegend(result).ToDictionary(l => l.Class, l => l.Color);
        var classes = result.ClassesAtPixels();
        int w = image.Width, h = image.Height, iw = result.InputWidth, ih = result.InputHeight;
        var rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        {
            int sy = Math.Min(ih - 1, (int)((y + 0.5) * ih / h));
            for (int x = 0; x < w; x++)
            {
                int sx = Math.Min(iw - 1, (int)((x + 0.5) * iw / w));
                var c = colors[classes[sy * iw + sx]];
                int o = (y * w + x) * 3;
                for (int ch = 0; ch < 3; ch++)
                {
                    byte source = image.Channels == 1 ? image.Pixels[y * w + x] : image.Pixels[o + ch];
                    byte colour = ch == 0 ? c.Red : ch == 1 ? c.Green : c.Blue;
                    rgb[o + ch] = (byte)Math.Clamp(MathF.Round((1 - opacity) * source + opacity * colour), 0, 255);
                }
            }
        }
        return new RgbImage(w, h, 3, rgb);
    }

    static void Panel(SKCanvas canvas, RgbImage picture, float x, float top, string title, string subtitle)
    {
        ChartText.Draw(canvas, title, x, top - 24, 13, ChartText.Ink, bold: true, maxWidth: picture.Width);
        ChartText.Draw(canvas, subtitle, x, top - 8, 11, ChartText.Muted, maxWidth: picture.Width);
        using var bitmap = ImageResize.ToBitmap(picture);
        canvas.DrawBitmap(bitmap, x, top, new SKSamplingOptions(SKFilterMode.Nearest), null); // 1:1
    }

    static void ColorBar(SKCanvas canvas, float x, float y, float width, Colormap cmap, float min, float max)
    {
        using var paint = new SKPaint { IsAntialias = false };
        int steps = (int)width;
        for (int i = 0; i < steps; i++)
        {
            var (r, g, b) = cmap.Map(i / (float)Math.Max(1, steps - 1));
            paint.Color = new SKColor(r, g, b);
            canvas.DrawRect(x + i, y, 1, 10, paint);
        }
        ChartText.Draw(canvas, PlotFrame.Number(min), x, y + 24, 11, ChartText.Muted);
        ChartText.Draw(canvas, PlotFrame.Number(max), x + width, y + 24, 11, ChartText.Muted, align: SKTextAlign.Right);
    }

    static void Legend(SKCanvas canvas, IReadOnlyList<(int Class, string Name, SKColor Color, int Positions)> legend, float x, float y, float width, int total)
    {
        using var paint = new SKPaint { IsAntialias = true };
        float rowY = y + 10;
        const int maxRows = 5;
        foreach (var (_, name, color, positions) in legend.Take(maxRows))
        {
            paint.Color = color;
            canvas.DrawRoundRect(x, rowY - 9, 10, 10, 2, 2, paint);
            ChartText.Draw(canvas, string.Create(CultureInfo.InvariantCulture, $"{name} ({100.0 * positions / total:0}%)"),
                x + 15, rowY, 11, ChartText.Ink, maxWidth: width - 15);
            rowY += 15;
        }
        if (legend.Count > maxRows)
            ChartText.Draw(canvas, $"… {legend.Count - maxRows} more", x + 15, rowY, 11, ChartText.Muted);
    }
}
