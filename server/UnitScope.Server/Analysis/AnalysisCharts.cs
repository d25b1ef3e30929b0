using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Rendering.Fonts;

namespace UnitScope.Server.Analysis;

/// <summary>A rendered chart.</summary>
internal sealed record ChartPng(byte[] Png, int Width, int Height);

/// <summary>
/// The PNG charts ablation results carry (for clients that show pictures, and for saving): accuracy
/// per class before/after/control as grouped bars, the top-k vs random-k curve with the random draws'
/// ±1 standard deviation, and a single unit's activations as a jitter plot with the means marked.
/// Drawn with Skia and the embedded font on white, in the colours the extension's charts use.
/// </summary>
internal static class AnalysisCharts
{
    private static readonly SKColor Ink = new(0x22, 0x22, 0x22);
    private static readonly SKColor Muted = new(0x77, 0x77, 0x77);
    private static readonly SKColor Grid = new(0xdd, 0xdd, 0xdd);
    private static readonly SKColor Before = new(0x4e, 0x79, 0xa7);
    private static readonly SKColor After = new(0xe1, 0x57, 0x59);
    private static readonly SKColor Control = new(0xed, 0xc9, 0x48);

    public static ChartPng Ablation(AblationResult r, int width = 640)
    {
        const int labelWidth = 150, bar = 7, gap = 1, rowGap = 8, top = 34, bottom = 26;
        var kinds = r.RandomAccuracyAfter is null ? 2 : 3;
        var row = kinds * bar + (kinds - 1) * gap;
        var height = top + r.Classes.Count * (row + rowGap) + bottom;
        return Draw(width, height, canvas =>
        {
            Text(canvas, $"Accuracy per class, {r.Layer}: {Units(r.Units)} zeroed", 8, 16, 13, Ink, bold: true);
            Legend(canvas, 8, 28, [("before", Before), ("units zeroed", After), .. r.RandomAccuracyAfter is null ? Array.Empty<(string, SKColor)>() : [("random control", Control)]]);
            float plot = width - labelWidth - 12;
            float X(double v) => labelWidth + (float)(Math.Clamp(v, 0, 1) * plot);
            var axis = height - bottom + 4;
            foreach (var t in new[] { 0, 0.25, 0.5, 0.75, 1 })
            {
                Line(canvas, X(t), top - 4, X(t), axis, Grid);
                Text(canvas, $"{t * 100:0}%", X(t), axis + 14, 10, Muted, align: SKTextAlign.Center);
            }
            for (var i = 0; i < r.Classes.Count; i++)
            {
                var c = r.Classes[i];
                float y = top + i * (row + rowGap);
                Text(canvas, c.ClassName, labelWidth - 6, y + row / 2f + 4, 11, Ink, align: SKTextAlign.Right, maxWidth: labelWidth - 10);
                double?[] values = [c.Before, c.After, .. kinds == 3 ? new double?[] { c.RandomAfter } : []];
                SKColor[] colors = [Before, After, Control];
                for (var k = 0; k < values.Length; k++)
                    if (values[k] is { } v) Rect(canvas, labelWidth, y + k * (bar + gap), X(v) - labelWidth, bar, colors[k]);
            }
        });
    }

    public static ChartPng Curve(UnitRanking r, int width = 480, int height = 300)
    {
        var log = r.Metric == RankingMetric.LogProbability;
        var points = r.Curve.Select(c => log
            ? (c.K, Top: c.TopLogProbability, Random: c.RandomLogProbability, Std: c.RandomLogProbabilityStd)
            : (c.K, Top: c.TopAccuracy, Random: c.RandomAccuracy, Std: c.RandomAccuracyStd)).ToList();
        double lo = 0, hi = 1;
        if (log && points.Count > 0)
        {
            var values = points.SelectMany(p => new[] { p.Top, p.Random - p.Std, p.Random + p.Std }).Append(r.BaseLogProbability).ToList();
            lo = values.Min();
            hi = values.Max();
            var pad = (hi - lo) * 0.05 + 1e-6;
            lo -= pad;
            hi += pad;
        }
        const int left = 52, right = 12, top = 40, bottom = 34;
        var maxK = Math.Max(1, points.Count == 0 ? 1 : points.Max(p => p.K));
        return Draw(width, height, canvas =>
        {
            Text(canvas, $"{r.ClassName}: zeroing the top k units of {r.Layer} vs k random ones", 8, 16, 13, Ink, bold: true, maxWidth: width - 16);
            Legend(canvas, 8, 30, [("top k", Before), ($"random k (mean ± sd of {r.RandomDraws})", Control)]);
            float X(double k) => left + (float)(k / maxK * (width - left - right));
            float Y(double v) => top + (float)((hi - Math.Clamp(v, lo, hi)) / (hi - lo) * (height - top - bottom));
            for (var i = 0; i <= 4; i++)
            {
                var v = lo + (hi - lo) * i / 4;
                Line(canvas, left, Y(v), width - right, Y(v), Grid);
                Text(canvas, log ? v.ToString("0.00", CultureInfo.InvariantCulture) : $"{v * 100:0}%", left - 4, Y(v) + 4, 10, Muted, align: SKTextAlign.Right);
            }
            foreach (var p in points)
                Text(canvas, p.K.ToString(CultureInfo.InvariantCulture), X(p.K), height - bottom + 14, 10, Muted, align: SKTextAlign.Center);
            Text(canvas, "k units zeroed", width - right, height - 6, 10, Muted, align: SKTextAlign.Right);
            if (points.Count == 0) return;
            using (var band = new SKPath())
            {
                band.MoveTo(X(points[0].K), Y(points[0].Random + points[0].Std));
                foreach (var p in points.Skip(1)) band.LineTo(X(p.K), Y(p.Random + p.Std));
                foreach (var p in Enumerable.Reverse(points)) band.LineTo(X(p.K), Y(p.Random - p.Std));
                band.Close();
                using var fill = new SKPaint { Color = Control.WithAlpha(60), IsAntialias = true };
                canvas.DrawPath(band, fill);
            }
            Polyline(canvas, [.. points.Select(p => new SKPoint(X(p.K), Y(p.Random)))], Control);
            Polyline(canvas, [.. points.Select(p => new SKPoint(X(p.K), Y(p.Top)))], Before);
        });
    }

    public static ChartPng Jitter(SingleUnitStats s, int width = 360, int height = 300)
    {
        const int left = 52, right = 12, top = 34, bottom = 30;
        var all = s.InClass.Concat(s.Others).ToList();
        double lo = all.Count == 0 ? 0 : all.Min(), hi = all.Count == 0 ? 1 : all.Max();
        if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
        var pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        return Draw(width, height, canvas =>
        {
            Text(canvas, $"Unit {s.Unit} of {s.Layer}: {s.ClassName} vs the rest", 8, 16, 13, Ink, bold: true, maxWidth: width - 16);
            Text(canvas, $"{(s.Statistic == UnitStatistic.Max ? "max" : "mean")} activation per image · AUC {s.Auc:0.00}", 8, 29, 10, Muted);
            float Y(double v) => top + (float)((hi - v) / (hi - lo) * (height - top - bottom));
            for (var i = 0; i <= 4; i++)
            {
                var v = lo + (hi - lo) * i / 4;
                Line(canvas, left, Y(v), width - right, Y(v), Grid);
                Text(canvas, v.ToString("0.##", CultureInfo.InvariantCulture), left - 4, Y(v) + 4, 10, Muted, align: SKTextAlign.Right);
            }
            var column = (width - left - right) / 2f;
            (string Name, float[] Values, double Mean, SKColor Color)[] groups =
                [(s.ClassName, s.InClass, s.MeanInClass, After), ("rest", s.Others, s.MeanOthers, Before)];
            var random = new Random(s.Unit * 7919 + s.ClassIndex);
            using var dot = new SKPaint { IsAntialias = true };
            for (var g = 0; g < groups.Length; g++)
            {
                var centre = left + column * (g + 0.5f);
                dot.Color = groups[g].Color.WithAlpha(150);
                foreach (var v in groups[g].Values)
                    canvas.DrawCircle(centre + (float)(random.NextDouble() - 0.5) * column * 0.6f, Y(v), 2.5f, dot);
                Line(canvas, centre - column * 0.35f, Y(groups[g].Mean), centre + column * 0.35f, Y(groups[g].Mean), Ink, 2);
                Text(canvas, $"{groups[g].Name} (n={groups[g].Values.Length}, mean {groups[g].Mean:0.##})", centre, height - 10, 10, Ink,
                    align: SKTextAlign.Center, maxWidth: column - 4);
            }
        });
    }

    private static ChartPng Draw(int width, int height, Action<SKCanvas> draw)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            draw(canvas);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"Skia could not PNG-encode a {width}x{height} chart.");
        return new ChartPng(data.ToArray(), width, height);
    }

    private static void Text(SKCanvas canvas, string text, float x, float y, float size, SKColor color, bool bold = false,
        SKTextAlign align = SKTextAlign.Left, float maxWidth = float.PositiveInfinity)
    {
        using var font = EmbeddedFonts.Font(size, bold);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        var fitted = text;
        while (fitted.Length > 1 && font.MeasureText(fitted) > maxWidth) fitted = fitted[..^2] + "…";
        canvas.DrawText(fitted, x, y, align, font, paint);
    }

    private static void Legend(SKCanvas canvas, float x, float y, IReadOnlyList<(string Name, SKColor Color)> keys)
    {
        foreach (var (name, color) in keys)
        {
            Rect(canvas, x, y - 8, 10, 10, color);
            Text(canvas, name, x + 14, y + 1, 10, Ink);
            using var font = EmbeddedFonts.Font(10);
            x += 14 + font.MeasureText(name) + 14;
        }
    }

    private static void Rect(SKCanvas canvas, float x, float y, float w, float h, SKColor color)
    {
        using var paint = new SKPaint { Color = color };
        canvas.DrawRect(x, y, Math.Max(0, w), h, paint);
    }

    private static void Line(SKCanvas canvas, float x0, float y0, float x1, float y1, SKColor color, float width = 1)
    {
        using var paint = new SKPaint { Color = color, StrokeWidth = width, IsAntialias = true };
        canvas.DrawLine(x0, y0, x1, y1, paint);
    }

    private static void Polyline(SKCanvas canvas, SKPoint[] points, SKColor color)
    {
        using var paint = new SKPaint { Color = color, StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
        using var path = new SKPath();
        path.AddPoly(points, close: false);
        canvas.DrawPath(path, paint);
        using var dot = new SKPaint { Color = color, IsAntialias = true };
        foreach (var p in points) canvas.DrawCircle(p, 3, dot);
    }

    private static string Units(IReadOnlyList<int> units) =>
        units.Count == 1 ? $"unit {units[0]}" : units.Count <= 6 ? $"units {string.Join(", ", units)}" : $"{units.Count} units";
}
