using System.Globalization;
using SkiaSharp;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// A rectangle of a chart with linear x and y scales: value → pixel, and the axes drawn with "nice" ticks
/// (1, 2, 2.5, 5 × 10^n) in the charts' font and greys. Shared by the ablation, curve and jitter charts.
/// </summary>
internal sealed class PlotFrame(SKRect area, double xMin, double xMax, double yMin, double yMax)
{
    public static readonly SKColor Axis = new(0xBB, 0xBB, 0xBB);
    public static readonly SKColor Grid = new(0xEE, 0xEE, 0xEE);

    public SKRect Area { get; } = area;

    public float X(double v) => (float)(Area.Left + (v - xMin) / Span(xMin, xMax) * Area.Width);

    public float Y(double v) => (float)(Area.Bottom - (v - yMin) / Span(yMin, yMax) * Area.Height);

    static double Span(double lo, double hi) => hi > lo ? hi - lo : 1;

    /// <summary>Grid lines and tick labels on both axes, axis titles, and the left and bottom axis lines.</summary>
    public void Draw(SKCanvas canvas, IReadOnlyList<double> xTicks, Func<double, string> xFormat, string? xTitle,
        IReadOnlyList<double> yTicks, Func<double, string> yFormat, string? yTitle)
    {
        using var grid = new SKPaint { Color = Grid, StrokeWidth = 1 };
        using var axis = new SKPaint { Color = Axis, StrokeWidth = 1 };
        foreach (double t in yTicks)
        {
            float y = MathF.Round(Y(t)) + 0.5f;
            canvas.DrawLine(Area.Left, y, Area.Right, y, grid);
            ChartText.Draw(canvas, yFormat(t), Area.Left - 6, y + 4, 11, ChartText.Muted, align: SKTextAlign.Right);
        }
        foreach (double t in xTicks)
        {
            float x = MathF.Round(X(t)) + 0.5f;
            canvas.DrawLine(x, Area.Bottom, x, Area.Bottom + 4, axis);
            ChartText.Draw(canvas, xFormat(t), x, Area.Bottom + 17, 11, ChartText.Muted, align: SKTextAlign.Center);
        }
        canvas.DrawLine(Area.Left - 0.5f, Area.Top, Area.Left - 0.5f, Area.Bottom, axis);
        canvas.DrawLine(Area.Left, Area.Bottom + 0.5f, Area.Right, Area.Bottom + 0.5f, axis);
        if (xTitle is not null)
            ChartText.Draw(canvas, xTitle, Area.MidX, Area.Bottom + 36, 12, ChartText.Ink, align: SKTextAlign.Center, maxWidth: Area.Width);
        if (yTitle is not null)
        {
            canvas.Save();
            canvas.RotateDegrees(-90, Area.Left - 44, Area.MidY);
            ChartText.Draw(canvas, yTitle, Area.Left - 44, Area.MidY + 4, 12, ChartText.Ink, align: SKTextAlign.Center, maxWidth: Area.Height);
            canvas.Restore();
        }
    }

    /// <summary>About <paramref name="count"/> round values covering [lo, hi].</summary>
    public static IReadOnlyList<double> Ticks(double lo, double hi, int count = 5)
    {
        if (!(hi > lo) || !double.IsFinite(hi - lo))
            return [lo];
        double raw = (hi - lo) / Math.Max(1, count);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        var ticks = new List<double>();
        for (double t = Math.Ceiling(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
        return ticks;
    }

    public static string Number(double v) =>
        Math.Abs(v) >= 1000 || (Math.Abs(v) < 0.01 && v != 0) ? v.ToString("0.##e0", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Percent(double v) => (v * 100).ToString("0", CultureInfo.InvariantCulture) + "%";
}

/// <summary>Colours shared by the occlusion and ablation charts (the product's Tableau-like hues, as <see cref="CategoryPalette"/>'s).</summary>
public static class AnalysisColors
{
    /// <summary>The model unchanged ("before").</summary>
    public static SKColor Before { get; } = new(0xB8, 0xB8, 0xB8);
    /// <summary>The chosen or top-ranked units removed.</summary>
    public static SKColor Removed { get; } = new(0xE1, 0x57, 0x59);
    /// <summary>Random units removed (the control).</summary>
    public static SKColor Random { get; } = new(0x4E, 0x79, 0xA7);
    /// <summary>A class's images in the jitter plot.</summary>
    public static SKColor InClass { get; } = new(0xF2, 0x8E, 0x2B);
    public static SKColor Others { get; } = new(0x79, 0x79, 0x79);

    static readonly uint[] Classes =
    [
        0x4E79A7, 0xF28E2B, 0xE15759, 0x76B7B2, 0x59A14F, 0xEDC948, 0xB07AA1, 0xFF9DA7, 0x9C755F, 0xBAB0AC,
        0x2F8F9D, 0xA0522D, 0x4B4B8F, 0x6B8E23, 0xC71585, 0x708090,
    ];

    /// <summary>Distinct colours for the classes of a most-probable-class map, by their rank in it (cycling after 16).</summary>
    public static SKColor ForClassRank(int rank)
    {
        uint rgb = Classes[((rank % Classes.Length) + Classes.Length) % Classes.Length];
        return new SKColor((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
    }

    public static string Hex(SKColor c) => $"#{c.Red:x2}{c.Green:x2}{c.Blue:x2}";
}
