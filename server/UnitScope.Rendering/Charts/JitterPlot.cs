using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Ablation;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// A unit as a single-unit classifier (Bau et al. 2020, figure 5F, the airplane unit): one row of points per
/// group, the class's images and all the others, each point an image at its activation (x), spread vertically
/// by a seeded jitter so overlapping values stay visible; above each row its density (Gaussian kernel,
/// Silverman's bandwidth), and the group's mean marked and written out.
/// </summary>
public static class JitterPlot
{
    public const int DefaultWidth = 960;
    /// <summary>The plot's height, whatever its width.</summary>
    public const int Height = 420;
    const float Pad = 16, HeaderHeight = 70;

    public static byte[] RenderPng(SingleUnitStats stats, int width = DefaultWidth)
    {
        using var bitmap = Render(stats, width);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(SingleUnitStats stats, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (width < 400)
            throw new ArgumentOutOfRangeException(nameof(width), $"A jitter plot needs at least 400 pixels of width, not {width}.");
        var bitmap = new SKBitmap(new SKImageInfo(width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);

        string label = stats.Label is { } l ? $" (“{l}”)" : "";
        ChartText.Draw(canvas, $"{stats.Layer} unit {stats.Unit}{label} as a detector of {stats.ClassName}",
            Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        ChartText.Draw(canvas, string.Create(CultureInfo.InvariantCulture,
                $"activation = {(stats.Statistic == UnitStatistic.Max ? "maximum" : "mean")} of the unit's map per image · " +
                $"mean {PlotFrame.Number(stats.MeanInClass)} on {stats.ClassName} vs {PlotFrame.Number(stats.MeanOthers)} on the rest · AUC {stats.Auc:0.00}"),
            Pad, Pad + 40, 12, ChartText.Muted, maxWidth: width - 2 * Pad);

        var all = stats.InClass.Concat(stats.Others).Where(float.IsFinite).Select(v => (double)v).ToList();
        double lo = all.Count == 0 ? 0 : all.Min(), hi = all.Count == 0 ? 1 : all.Max();
        if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
        double margin = (hi - lo) * 0.03;
        var ticks = PlotFrame.Ticks(lo - margin, hi + margin, 8);
        var frame = new PlotFrame(new SKRect(Pad + 130, HeaderHeight + 10, width - Pad - 10, Height - 50),
            Math.Min(lo - margin, ticks[0]), Math.Max(hi + margin, ticks[^1]), 0, 1);
        frame.Draw(canvas, ticks, PlotFrame.Number, $"unit activation ({(stats.Statistic == UnitStatistic.Max ? "max" : "mean")} over its map)", [], _ => "", null);

        float rowHeight = frame.Area.Height / 2;
        Row(canvas, frame, frame.Area.Top, rowHeight, stats.InClass, $"{stats.ClassName}", stats.MeanInClass, AnalysisColors.InClass, 1);
        Row(canvas, frame, frame.Area.Top + rowHeight, rowHeight, stats.Others, "other classes", stats.MeanOthers, AnalysisColors.Others, 2);
        return bitmap;
    }

    static void Row(SKCanvas canvas, PlotFrame frame, float top, float height, float[] values, string name, double mean, SKColor color, int seed)
    {
        ChartText.Draw(canvas, name, frame.Area.Left - 10, top + height * 0.55f, 13, ChartText.Ink, bold: true, maxWidth: 120, align: SKTextAlign.Right);
        ChartText.Draw(canvas, $"n = {values.Length}", frame.Area.Left - 10, top + height * 0.55f + 16, 11, ChartText.Muted, align: SKTextAlign.Right);
        var finite = values.Where(float.IsFinite).Select(v => (double)v).ToArray();

        // Density over the upper 40% of the row.
        float densityBottom = top + height * 0.42f, densityTop = top + 6;
        if (finite.Length > 1)
        {
            var (xs, ys) = Density(finite, frame, 160);
            double peak = ys.Max();
            if (peak > 0)
            {
                using var builder = new SKPathBuilder();
                builder.MoveTo(xs[0], densityBottom);
                for (int i = 0; i < xs.Length; i++)
                    builder.LineTo(xs[i], (float)(densityBottom - ys[i] / peak * (densityBottom - densityTop)));
                builder.LineTo(xs[^1], densityBottom);
                builder.Close();
                using var path = builder.Detach();
                using var fill = new SKPaint { Color = color.WithAlpha(60), IsAntialias = true };
                using var outline = new SKPaint { Color = color, IsAntialias = true, StrokeWidth = 1.5f, Style = SKPaintStyle.Stroke };
                canvas.DrawPath(path, fill);
                canvas.DrawPath(path, outline);
            }
        }

        // Jittered points over the lower part.
        var rng = new Random(0x5EED0 + seed); // fixed: the same data gives the same picture
        float bandTop = top + height * 0.5f, bandBottom = top + height - 8;
        using var dot = new SKPaint { Color = color.WithAlpha(150), IsAntialias = true };
        foreach (double v in finite)
            canvas.DrawCircle(frame.X(v), bandTop + (float)rng.NextDouble() * (bandBottom - bandTop), 2.5f, dot);

        if (double.IsFinite(mean))
        {
            float mx = frame.X(mean);
            using var line = new SKPaint { Color = ChartText.Ink, StrokeWidth = 1.5f, IsAntialias = true };
            canvas.DrawLine(mx, densityTop, mx, bandBottom, line);
            ChartText.Draw(canvas, "mean " + PlotFrame.Number(mean), mx + 4, densityTop + 10, 11, ChartText.Ink);
        }
    }

    /// <summary>A Gaussian kernel density estimate at <paramref name="steps"/> x positions across the frame (bandwidth: Silverman's rule).</summary>
    static (float[] X, double[] Y) Density(double[] values, PlotFrame frame, int steps)
    {
        double mean = values.Average();
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, values.Length - 1));
        var sorted = values.Order().ToArray();
        double iqr = sorted[(int)(0.75 * (sorted.Length - 1))] - sorted[(int)(0.25 * (sorted.Length - 1))];
        double spread = Math.Min(sd, iqr / 1.34);
        if (!(spread > 0)) spread = sd > 0 ? sd : 1e-3 * Math.Max(1, Math.Abs(mean));
        double bandwidth = 0.9 * spread * Math.Pow(values.Length, -0.2);
        var xs = new float[steps];
        var ys = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            xs[i] = frame.Area.Left + i * frame.Area.Width / (steps - 1);
            double x = Inverse(frame, xs[i]);
            double sum = 0;
            foreach (double v in values)
            {
                double z = (x - v) / bandwidth;
                sum += Math.Exp(-0.5 * z * z);
            }
            ys[i] = sum;
        }
        return (xs, ys);
    }

    static double Inverse(PlotFrame frame, float px)
    {
        // Two points of the linear map give its inverse.
        double x0 = 0, x1 = 1;
        float p0 = frame.X(x0), p1 = frame.X(x1);
        return x0 + (px - p0) / (p1 - p0) * (x1 - x0);
    }
}
