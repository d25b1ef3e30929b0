using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Ablation;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// An ablation at a glance (Bau et al. 2020, figure 6A–B): overall accuracy before and after in the header,
/// then one row per class, in the result's order (most lowered first), with its accuracy before (grey), after
/// removing the units (red) and after removing random units (blue, the control's mean), and the change.
/// </summary>
public static class AblationChart
{
    public const int DefaultWidth = 960;
    /// <summary>Classes beyond this many are summed up in one "… more" line.</summary>
    public const int MaxRows = 60;

    const float Pad = 16, HeaderHeight = 100, Bar = 7, RowGap = 9;

    /// <summary>The chart's height for <paramref name="result"/>.</summary>
    public static int Height(AblationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        int rows = Math.Min(result.Classes.Count, MaxRows);
        return (int)Math.Ceiling(HeaderHeight + rows * RowHeight(result) + (result.Classes.Count > rows ? 22 : 0) + 40 + Pad);
    }

    static float RowHeight(AblationResult r) => (r.RandomAccuracyAfter is null ? 2 : 3) * Bar + RowGap;

    public static byte[] RenderPng(AblationResult result, int width = DefaultWidth)
    {
        using var bitmap = Render(result, width);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(AblationResult result, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (width < 400)
            throw new ArgumentOutOfRangeException(nameof(width), $"An ablation chart needs at least 400 pixels of width, not {width}.");
        int height = Height(result);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        bool control = result.RandomAccuracyAfter is not null;

        string units = result.Units.Count <= 12
            ? string.Join(", ", result.Units)
            : string.Join(", ", result.Units.Take(12)) + $", … ({result.Units.Count} units)";
        ChartText.Draw(canvas, $"{result.Layer}: units {units} removed", Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        string overall = string.Create(CultureInfo.InvariantCulture,
            $"overall accuracy {PlotFrame.Percent(result.AccuracyBefore)} → {PlotFrame.Percent(result.AccuracyAfter)}") +
            (control ? string.Create(CultureInfo.InvariantCulture,
                $"   ·   {result.Units.Count} random units ({result.RandomUnitSets.Count} draws): {PlotFrame.Percent(result.RandomAccuracyAfter!.Value)}") : "");
        ChartText.Draw(canvas, overall, Pad, Pad + 42, 14, ChartText.Ink, maxWidth: width - 2 * Pad);
        ChartText.Draw(canvas, $"{result.Images} images of {result.DatasetName} · of {result.LayerUnits} units · classes by change, most lowered first",
            Pad, Pad + 62, 12, ChartText.Muted, maxWidth: width - 2 * Pad);
        float legendX = Pad;
        foreach (var (label, color) in Legend(control))
        {
            using var chip = new SKPaint { Color = color, IsAntialias = true };
            canvas.DrawRoundRect(legendX, Pad + 72, 10, 10, 2, 2, chip);
            legendX += 14 + ChartText.Draw(canvas, label, legendX + 14, Pad + 81, 12, ChartText.Ink) + 16;
        }

        var rows = result.Classes.Take(MaxRows).ToList();
        float labelWidth = Math.Min(Math.Max(60, rows.Count == 0 ? 60 : rows.Max(c => ChartText.Measure(c.ClassName, 12)) + 6), width * 0.28f);
        float changeWidth = ChartText.Measure("100% → 100% (−100)", 12) + 12;
        float left = Pad + labelWidth + 8, right = width - Pad - changeWidth;
        var frame = new PlotFrame(new SKRect(left, HeaderHeight, right, HeaderHeight + rows.Count * RowHeight(result)), 0, 1, 0, 1);

        using var grid = new SKPaint { Color = PlotFrame.Grid, StrokeWidth = 1 };
        foreach (double t in new[] { 0, 0.25, 0.5, 0.75, 1 })
        {
            float gx = MathF.Round(frame.X(t)) + 0.5f;
            canvas.DrawLine(gx, frame.Area.Top, gx, frame.Area.Bottom, grid);
            ChartText.Draw(canvas, PlotFrame.Percent(t), gx, frame.Area.Bottom + 16, 11, ChartText.Muted, align: SKTextAlign.Center);
        }
        using var paint = new SKPaint { IsAntialias = false };
        float y = HeaderHeight + RowGap / 2;
        foreach (var c in rows)
        {
            float rowHeight = RowHeight(result) - RowGap;
            ChartText.Draw(canvas, c.ClassName, left - 8, y + rowHeight / 2 + 4, 12, ChartText.Ink, maxWidth: labelWidth, align: SKTextAlign.Right);
            DrawBar(canvas, paint, frame, y, c.Before, AnalysisColors.Before);
            DrawBar(canvas, paint, frame, y + Bar, c.After, AnalysisColors.Removed);
            if (c.RandomAfter is { } random)
                DrawBar(canvas, paint, frame, y + 2 * Bar, random, AnalysisColors.Random);
            double change = c.Change * 100;
            string text = string.Create(CultureInfo.InvariantCulture,
                $"{PlotFrame.Percent(c.Before)} → {PlotFrame.Percent(c.After)} ({(change > 0 ? "+" : change < 0 ? "−" : "±")}{Math.Abs(change):0})");
            ChartText.Draw(canvas, text, right + 8, y + rowHeight / 2 + 4, 12, change < -0.5 ? CategoryPaletteRed : ChartText.Muted);
            y += RowHeight(result);
        }
        using var axis = new SKPaint { Color = PlotFrame.Axis, StrokeWidth = 1 };
        canvas.DrawLine(left - 0.5f, frame.Area.Top, left - 0.5f, frame.Area.Bottom, axis);
        if (result.Classes.Count > rows.Count)
            ChartText.Draw(canvas, $"… and {result.Classes.Count - rows.Count} more classes, less changed", left, frame.Area.Bottom + 36, 12, ChartText.Muted);
        return bitmap;
    }

    static readonly SKColor CategoryPaletteRed = new(0xB0, 0x3A, 0x3C);

    static IEnumerable<(string, SKColor)> Legend(bool control)
    {
        yield return ("before", AnalysisColors.Before);
        yield return ("units removed", AnalysisColors.Removed);
        if (control) yield return ("as many random units removed", AnalysisColors.Random);
    }

    static void DrawBar(SKCanvas canvas, SKPaint paint, PlotFrame frame, float y, double value, SKColor color)
    {
        paint.Color = color;
        float length = Math.Max(1, frame.X(Math.Clamp(value, 0, 1)) - frame.Area.Left);
        canvas.DrawRect(frame.Area.Left, y, length, Bar - 1, paint);
    }
}
