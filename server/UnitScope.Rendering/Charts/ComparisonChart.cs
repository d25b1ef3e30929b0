using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Evolution;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// Two checkpoints compared, layer by layer in the model's order: a bar of linear CKA (1: the representation did not
/// move) and a dot for the mean correlation of the matched units (how well single units survived).
/// </summary>
public static class ComparisonChart
{
    public const int DefaultWidth = 900;
    /// <summary>The chart's height, whatever its width.</summary>
    public const int Height = 360;
    const float Pad = 16, HeaderHeight = 70;

    public static byte[] RenderPng(ComparisonResult result, int width = DefaultWidth)
    {
        using var bitmap = Render(result, width);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(ComparisonResult result, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (width < 400)
            throw new ArgumentOutOfRangeException(nameof(width), $"A comparison chart needs at least 400 pixels of width, not {width}.");
        var bitmap = new SKBitmap(new SKImageInfo(width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        ChartText.Draw(canvas, $"Checkpoints compared on {result.Images} images: linear CKA per layer (1: unchanged)",
            Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        float legendX = Pad;
        foreach (var (label, color) in new[] { ("linear CKA", AnalysisColors.Random), ("mean correlation of matched units", AnalysisColors.Removed) })
        {
            using var chip = new SKPaint { Color = color, IsAntialias = true };
            canvas.DrawRoundRect(legendX, Pad + 32, 10, 10, 2, 2, chip);
            legendX += 14 + ChartText.Draw(canvas, label, legendX + 14, Pad + 41, 12, ChartText.Ink) + 16;
        }

        var layers = result.Layers;
        var yTicks = PlotFrame.Ticks(0, 1, 5);
        var frame = new PlotFrame(new SKRect(Pad + 50, HeaderHeight + 10, width - Pad, Height - 50), -0.5, Math.Max(1, layers.Count) - 0.5, 0, 1);
        frame.Draw(canvas, [], _ => "", null, yTicks, v => v.ToString("0.##", CultureInfo.InvariantCulture), "CKA, correlation");
        float slot = frame.Area.Width / Math.Max(1, layers.Count);
        float bar = Math.Max(2, Math.Min(36, slot * 0.6f));
        using var fill = new SKPaint { Color = AnalysisColors.Random, IsAntialias = true };
        using var dot = new SKPaint { Color = AnalysisColors.Removed, IsAntialias = true };
        for (int l = 0; l < layers.Count; l++)
        {
            float x = frame.X(l);
            if (layers[l].Cka is { } cka)
            {
                float y = frame.Y(Math.Clamp(cka, 0, 1)), zero = frame.Y(0);
                canvas.DrawRect(SKRect.Create(x - bar / 2, y, bar, Math.Max(1, zero - y)), fill);
            }
            if (layers[l].MeanMatchedCorrelation is { } r)
                canvas.DrawCircle(x, frame.Y(Math.Clamp(r, 0, 1)), Math.Min(5, bar / 2), dot);
            // Names only where they fit: every k-th layer when there are many.
            int every = Math.Max(1, (int)Math.Ceiling(60 / slot));
            if (l % every == 0)
                ChartText.Draw(canvas, layers[l].Layer, x, frame.Area.Bottom + 16, 10, ChartText.Muted, align: SKTextAlign.Center, maxWidth: slot * every - 4);
        }
        return bitmap;
    }
}
