using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Invariance;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// Zeiler &amp; Fergus's figure 5 as one picture: a row per transformation (translation, rotation, scale), a panel per
/// layer with the relative feature distance ‖f(T x) − f(x)‖ / ‖f(x)‖ over the sweep, and a last panel with the
/// probability of the true class; a line per image, in the same colour in every panel.
/// </summary>
public static class InvarianceChart
{
    const int PanelWidth = 250, PanelHeight = 170, Gap = 24, Pad = 16, HeaderHeight = 70, RowTitle = 40, AxisSpace = 58, BottomSpace = 40;

    public static int Width(InvarianceResult result) => (int)(2 * Pad + (result.Layers.Count + 1) * (PanelWidth + AxisSpace + Gap) - Gap);

    public static int Height(InvarianceResult result) => (int)(HeaderHeight + result.Sweeps.Count * (RowTitle + PanelHeight + BottomSpace) + Pad);

    public static byte[] RenderPng(InvarianceResult result, IReadOnlyList<string> imageNames)
    {
        using var bitmap = Render(result, imageNames);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(InvarianceResult result, IReadOnlyList<string> imageNames)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(imageNames);
        int width = Width(result);
        var bitmap = new SKBitmap(new SKImageInfo(width, Height(result), SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        ChartText.Draw(canvas, "Invariance: how far each layer's features move as the image is transformed",
            Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        float legendX = Pad;
        for (int i = 0; i < imageNames.Count; i++)
        {
            using var chip = new SKPaint { Color = AnalysisColors.ForClassRank(i), IsAntialias = true };
            canvas.DrawRoundRect(legendX, Pad + 32, 10, 10, 2, 2, chip);
            legendX += 14 + ChartText.Draw(canvas, imageNames[i], legendX + 14, Pad + 41, 12, ChartText.Ink, maxWidth: 180) + 14;
        }

        float top = HeaderHeight;
        foreach (var sweep in result.Sweeps)
        {
            string unit = sweep.Kind switch { TransformKind.Translation => $"{(result.Options.Axis == TranslationAxis.Vertical ? "vertical" : "horizontal")} translation (pixels)", TransformKind.Rotation => "rotation (degrees)", _ => "scale (factor)" };
            ChartText.Draw(canvas, char.ToUpperInvariant(unit[0]) + unit[1..], Pad, top + 15, 14, ChartText.Ink, bold: true);
            double xMin = sweep.Values.Min(), xMax = sweep.Values.Max();
            var xTicks = PlotFrame.Ticks(xMin, xMax, 5);
            for (int column = 0; column <= result.Layers.Count; column++)
            {
                bool probability = column == result.Layers.Count;
                float left = Pad + column * (PanelWidth + AxisSpace + Gap) + AxisSpace;
                var curves = Enumerable.Range(0, sweep.Probabilities.Length)
                    .Select(i => probability ? sweep.Probabilities[i] : sweep.RelativeDistances[i][column]).ToList();
                double yMax = probability ? 1 : Math.Max(1e-6, curves.SelectMany(c => c).Where(float.IsFinite).DefaultIfEmpty(0).Max());
                var yTicks = PlotFrame.Ticks(0, yMax, 4);
                var frame = new PlotFrame(new SKRect(left, top + RowTitle + 8, left + PanelWidth, top + RowTitle + PanelHeight),
                    xMin, xMax, 0, Math.Max(yMax, yTicks[^1]));
                frame.Draw(canvas, xTicks, PlotFrame.Number, null, yTicks, probability ? PlotFrame.Percent : PlotFrame.Number, null);
                ChartText.Draw(canvas, probability ? "p(true class)" : $"{result.Layers[column]}: ‖Δf‖ / ‖f‖",
                    frame.Area.MidX, top + RowTitle - 2, 12, ChartText.Muted, align: SKTextAlign.Center, maxWidth: PanelWidth);
                for (int i = 0; i < curves.Count; i++)
                    Line(canvas, frame, sweep.Values, curves[i], AnalysisColors.ForClassRank(i));
            }
            top += RowTitle + PanelHeight + BottomSpace;
        }
        return bitmap;
    }

    static void Line(SKCanvas canvas, PlotFrame frame, IReadOnlyList<double> xs, IReadOnlyList<float> ys, SKColor color)
    {
        using var stroke = new SKPaint { Color = color, StrokeWidth = 1.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var builder = new SKPathBuilder();
        bool started = false;
        for (int k = 0; k < xs.Count; k++)
        {
            if (!float.IsFinite(ys[k])) { started = false; continue; }
            float x = frame.X(xs[k]), y = frame.Y(ys[k]);
            if (started) builder.LineTo(x, y); else builder.MoveTo(x, y);
            started = true;
        }
        using var path = builder.Detach();
        canvas.DrawPath(path, stroke);
    }
}
