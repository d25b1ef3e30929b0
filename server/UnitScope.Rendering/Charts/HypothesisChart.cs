using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Maximization;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// Seed 004's hypothesis test as a picture: a bar per unit of the layer at its mean activation on one image, the
/// chosen unit's bar in red and labelled, every other bar grey, and the unit's rank written in the title
/// ("does a photo of arches make unit 286 stand out?").
/// </summary>
public static class HypothesisChart
{
    public const int DefaultWidth = 960;
    /// <summary>The chart's height, whatever its width.</summary>
    public const int Height = 360;
    const float Pad = 16, HeaderHeight = 64;

    public static byte[] RenderPng(HypothesisResult result, string imageName, int width = DefaultWidth)
    {
        using var bitmap = Render(result, imageName, width);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(HypothesisResult result, string imageName, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (width < 400)
            throw new ArgumentOutOfRangeException(nameof(width), $"A hypothesis chart needs at least 400 pixels of width, not {width}.");
        var bitmap = new SKBitmap(new SKImageInfo(width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        var values = result.MeanActivations;
        int units = values.Count;
        ChartText.Draw(canvas, string.Create(CultureInfo.InvariantCulture,
                $"{result.Layer} unit {result.Unit} ranks #{result.Rank} of {units} on {imageName}"),
            Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        string strongest = result.StrongestUnit == result.Unit
            ? " (the strongest)"
            : $" · strongest: unit {result.StrongestUnit}, {PlotFrame.Number(values[result.StrongestUnit])}";
        ChartText.Draw(canvas, $"mean activation of each unit's map · unit {result.Unit}: {PlotFrame.Number(result.UnitActivation)}{strongest}",
            Pad, Pad + 40, 12, ChartText.Muted, maxWidth: width - 2 * Pad);

        double lo = Math.Min(0, values.Where(v => float.IsFinite(v)).DefaultIfEmpty(0).Min());
        double hi = Math.Max(0, values.Where(v => float.IsFinite(v)).DefaultIfEmpty(1).Max());
        if (!(hi > lo)) hi = lo + 1;
        var yTicks = PlotFrame.Ticks(lo, hi, 5);
        var frame = new PlotFrame(new SKRect(Pad + 60, HeaderHeight + 16, width - Pad - 8, Height - 50),
            -0.5, units - 0.5, Math.Min(lo, yTicks[0]), Math.Max(hi, yTicks[^1]));
        var xTicks = PlotFrame.Ticks(0, Math.Max(1, units - 1), Math.Min(units, 10)).Where(t => Math.Abs(t - Math.Round(t)) < 1e-9 && t < units).ToList();
        frame.Draw(canvas, xTicks, t => t.ToString("0", CultureInfo.InvariantCulture), "unit", yTicks, PlotFrame.Number, "mean activation");

        float barWidth = Math.Max(1, frame.Area.Width / units * 0.8f);
        using var grey = new SKPaint { Color = AnalysisColors.Before, IsAntialias = true };
        using var chosen = new SKPaint { Color = AnalysisColors.Removed, IsAntialias = true };
        float zero = frame.Y(0);
        for (int u = 0; u < units; u++)
        {
            if (!float.IsFinite(values[u])) continue;
            float x = frame.X(u), y = frame.Y(values[u]);
            canvas.DrawRect(SKRect.Create(x - barWidth / 2, Math.Min(y, zero), barWidth, Math.Max(1, Math.Abs(zero - y))), u == result.Unit ? chosen : grey);
        }
        float cx = frame.X(result.Unit), cy = frame.Y(values[result.Unit]);
        ChartText.Draw(canvas, $"{result.Unit}", cx, Math.Max(frame.Area.Top + 10, Math.Min(cy, zero) - 4), 11, AnalysisColors.Removed,
            bold: true, align: SKTextAlign.Center);
        return bitmap;
    }
}
