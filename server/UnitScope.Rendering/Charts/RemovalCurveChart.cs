using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Ablation;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// The class's accuracy (left) and mean log-probability (right) as its top-ranked units are removed together,
/// k = 0 (the intact model) … K, against k random units (mean, with a ±1 standard deviation band over the
/// draws): Bau et al. 2020, figure 6B–C (the top-4 / top-20 comparison).
/// </summary>
public static class RemovalCurveChart
{
    public const int DefaultWidth = 960;
    const int Height = 400;
    const float Pad = 16, HeaderHeight = 84;

    public static byte[] RenderPng(UnitRanking ranking, int width = DefaultWidth)
    {
        using var bitmap = Render(ranking, width);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(UnitRanking ranking, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        if (width < 480)
            throw new ArgumentOutOfRangeException(nameof(width), $"A removal curve chart needs at least 480 pixels of width, not {width}.");
        var bitmap = new SKBitmap(new SKImageInfo(width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        int kMax = ranking.Curve.Count == 0 ? 1 : ranking.Curve.Max(p => p.K);
        ChartText.Draw(canvas, $"{ranking.ClassName}: removing the top-k units of {ranking.Layer} vs k random units",
            Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        ChartText.Draw(canvas, string.Create(CultureInfo.InvariantCulture,
                $"{ranking.Images} images of the class · units ranked by the drop in {(ranking.Metric == RankingMetric.Accuracy ? "accuracy" : "mean log-probability")} when removed alone · random: mean ± sd of {ranking.RandomDraws} draws"),
            Pad, Pad + 40, 12, ChartText.Muted, maxWidth: width - 2 * Pad);
        float legendX = Pad;
        foreach (var (label, color) in new[] { ("top-k units removed", AnalysisColors.Removed), ("k random units removed", AnalysisColors.Random) })
        {
            using var chip = new SKPaint { Color = color, IsAntialias = true };
            canvas.DrawRoundRect(legendX, Pad + 52, 10, 10, 2, 2, chip);
            legendX += 14 + ChartText.Draw(canvas, label, legendX + 14, Pad + 61, 12, ChartText.Ink) + 16;
        }

        float panelWidth = (width - 2 * Pad - 70 * 2 - 20) / 2f;
        var points = ranking.Curve;
        var xTicks = PlotFrame.Ticks(0, kMax, Math.Min(kMax, 8)).Where(t => Math.Abs(t - Math.Round(t)) < 1e-9).ToList();

        // Accuracy, 0 … 1.
        var accuracy = new PlotFrame(new SKRect(Pad + 70, HeaderHeight + 10, Pad + 70 + panelWidth, Height - 56), 0, kMax, 0, 1);
        accuracy.Draw(canvas, xTicks, t => t.ToString("0", CultureInfo.InvariantCulture), "units removed (k)",
            [0, 0.25, 0.5, 0.75, 1], PlotFrame.Percent, "accuracy");
        Curves(canvas, accuracy, ranking.BaseAccuracy, points.Select(p => (p.K, p.TopAccuracy, p.RandomAccuracy, p.RandomAccuracyStd)).ToList());

        // Mean log-probability of the class.
        double lo = Math.Min(ranking.BaseLogProbability, points.Count == 0 ? 0 : points.Min(p => Math.Min(p.TopLogProbability, p.RandomLogProbability - p.RandomLogProbabilityStd)));
        double hi = Math.Max(ranking.BaseLogProbability, points.Count == 0 ? 0 : points.Max(p => p.RandomLogProbability + p.RandomLogProbabilityStd));
        hi = Math.Min(0, hi);
        if (!(hi > lo)) lo = hi - 1;
        var yTicks = PlotFrame.Ticks(lo, hi, 5);
        var logFrame = new PlotFrame(new SKRect(width - Pad - panelWidth, HeaderHeight + 10, width - Pad, Height - 56),
            0, kMax, Math.Min(lo, yTicks[0]), Math.Max(hi, yTicks[^1]));
        logFrame.Draw(canvas, xTicks, t => t.ToString("0", CultureInfo.InvariantCulture), "units removed (k)",
            yTicks, PlotFrame.Number, "mean log p(class)");
        Curves(canvas, logFrame, ranking.BaseLogProbability,
            points.Select(p => (p.K, p.TopLogProbability, p.RandomLogProbability, p.RandomLogProbabilityStd)).ToList());
        return bitmap;
    }

    static void Curves(SKCanvas canvas, PlotFrame frame, double start, IReadOnlyList<(int K, double Top, double Random, double Std)> points)
    {
        var all = new List<(int K, double Top, double Random, double Std)> { (0, start, start, 0) };
        all.AddRange(points.OrderBy(p => p.K));
        using (var builder = new SKPathBuilder())
        {
            builder.MoveTo(frame.X(all[0].K), frame.Y(all[0].Random + all[0].Std));
            foreach (var p in all.Skip(1)) builder.LineTo(frame.X(p.K), frame.Y(p.Random + p.Std));
            foreach (var p in Enumerable.Reverse(all)) builder.LineTo(frame.X(p.K), frame.Y(p.Random - p.Std));
            builder.Close();
            using var band = builder.Detach();
            using var fill = new SKPaint { Color = AnalysisColors.Random.WithAlpha(50), IsAntialias = true, Style = SKPaintStyle.Fill };
            canvas.Save();
            canvas.ClipRect(frame.Area);
            canvas.DrawPath(band, fill);
            canvas.Restore();
        }
        Line(canvas, frame, all.Select(p => (p.K, p.Random)).ToList(), AnalysisColors.Random);
        Line(canvas, frame, all.Select(p => (p.K, p.Top)).ToList(), AnalysisColors.Removed);
    }

    static void Line(SKCanvas canvas, PlotFrame frame, IReadOnlyList<(int K, double V)> points, SKColor color)
    {
        using var stroke = new SKPaint { Color = color, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var dot = new SKPaint { Color = color, IsAntialias = true };
        using var builder = new SKPathBuilder();
        for (int i = 0; i < points.Count; i++)
        {
            float x = frame.X(points[i].K), y = frame.Y(points[i].V);
            if (i == 0) builder.MoveTo(x, y); else builder.LineTo(x, y);
        }
        using var path = builder.Detach();
        canvas.DrawPath(path, stroke);
        foreach (var (k, v) in points)
            canvas.DrawCircle(frame.X(k), frame.Y(v), 3, dot);
    }
}
