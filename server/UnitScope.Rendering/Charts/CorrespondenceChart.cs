using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Correspondence;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// Zeiler &amp; Fergus's table 1 as bars: per part and layer, Δ (the mean share of features whose change differs in sign
/// between two images) when the part is hidden, beside Δ for random boxes of the same sizes, each with a ±1 standard
/// deviation whisker (over image pairs for the part, over draws for the random boxes). Lower is more consistent.
/// </summary>
public static class CorrespondenceChart
{
    public const int DefaultWidth = 900;
    /// <summary>The chart's height, whatever its width.</summary>
    public const int Height = 380;
    const float Pad = 16, HeaderHeight = 70;

    public static byte[] RenderPng(CorrespondenceResult result, int width = DefaultWidth)
    {
        using var bitmap = Render(result, width);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(CorrespondenceResult result, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (width < 400)
            throw new ArgumentOutOfRangeException(nameof(width), $"A correspondence chart needs at least 400 pixels of width, not {width}.");
        var bitmap = new SKBitmap(new SKImageInfo(width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        ChartText.Draw(canvas, "Correspondence: Δ when the same part is hidden vs random boxes (lower: more consistent)",
            Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        float legendX = Pad;
        foreach (var (label, color) in new[] { ("the part hidden", AnalysisColors.Removed), ($"random boxes ({result.Options.RandomDraws} draws)", AnalysisColors.Random) })
        {
            using var chip = new SKPaint { Color = color, IsAntialias = true };
            canvas.DrawRoundRect(legendX, Pad + 32, 10, 10, 2, 2, chip);
            legendX += 14 + ChartText.Draw(canvas, label, legendX + 14, Pad + 41, 12, ChartText.Ink) + 16;
        }

        var groups = result.Parts.SelectMany(p => p.Layers.Select(l => (p.Part, L: l))).ToList();
        double hi = groups.Count == 0 ? 1 : groups.Max(g => Math.Max(g.L.Part.Mean + g.L.Part.Std, g.L.RandomMean + g.L.RandomStd));
        if (!(hi > 0)) hi = 1;
        var yTicks = PlotFrame.Ticks(0, hi, 5);
        var frame = new PlotFrame(new SKRect(Pad + 60, HeaderHeight + 10, width - Pad, Height - 60), -0.5, Math.Max(1, groups.Count) - 0.5, 0, Math.Max(hi, yTicks[^1]));
        frame.Draw(canvas, [], _ => "", null, yTicks, v => v.ToString("0.###", CultureInfo.InvariantCulture), "Δ (share of features)");
        float slot = frame.Area.Width / Math.Max(1, groups.Count);
        float bar = Math.Min(40, slot * 0.35f);
        for (int g = 0; g < groups.Count; g++)
        {
            var (part, layer) = groups[g];
            float x = frame.X(g);
            Bar(canvas, frame, x - bar / 2 - 1, bar, layer.Part.Mean, layer.Part.Std, AnalysisColors.Removed);
            if (result.Options.RandomDraws > 0)
                Bar(canvas, frame, x + bar / 2 + 1, bar, layer.RandomMean, layer.RandomStd, AnalysisColors.Random);
            ChartText.Draw(canvas, part, x, frame.Area.Bottom + 16, 11, ChartText.Ink, bold: true, align: SKTextAlign.Center, maxWidth: slot - 4);
            ChartText.Draw(canvas, layer.Layer, x, frame.Area.Bottom + 30, 11, ChartText.Muted, align: SKTextAlign.Center, maxWidth: slot - 4);
        }
        return bitmap;
    }

    static void Bar(SKCanvas canvas, PlotFrame frame, float centre, float width, double value, double std, SKColor color)
    {
        using var fill = new SKPaint { Color = color, IsAntialias = true };
        using var whisker = new SKPaint { Color = ChartText.Ink, StrokeWidth = 1, IsAntialias = true };
        float y = frame.Y(value), zero = frame.Y(0);
        canvas.DrawRect(SKRect.Create(centre - width / 2, Math.Min(y, zero), width, Math.Max(1, Math.Abs(zero - y))), fill);
        if (std > 0)
        {
            float lo = frame.Y(Math.Max(0, value - std)), up = frame.Y(value + std);
            canvas.DrawLine(centre, lo, centre, up, whisker);
            canvas.DrawLine(centre - 4, up, centre + 4, up, whisker);
            canvas.DrawLine(centre - 4, lo, centre + 4, lo, whisker);
        }
    }
}
