using SkiaSharp;
using UnitScope.Rendering.Fonts;

namespace UnitScope.Rendering.Charts;

/// <summary>Text drawing shared by the charts and cards: the embedded font, fitted into a width.</summary>
static class ChartText
{
    public static readonly SKColor Ink = new(0x22, 0x22, 0x22);
    public static readonly SKColor Muted = new(0x66, 0x66, 0x66);
    public static readonly SKColor Background = SKColors.White;

    /// <summary>Draws <paramref name="text"/> with its baseline at <paramref name="y"/>, cut with "…" to fit <paramref name="maxWidth"/>; returns the drawn width.</summary>
    public static float Draw(SKCanvas canvas, string text, float x, float y, float size, SKColor color,
        bool bold = false, float maxWidth = float.PositiveInfinity, SKTextAlign align = SKTextAlign.Left)
    {
        using var font = EmbeddedFonts.Font(size, bold);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        string fitted = Fit(text, font, maxWidth);
        canvas.DrawText(fitted, x, y, align, font, paint);
        return font.MeasureText(fitted);
    }

    public static float Measure(string text, float size, bool bold = false)
    {
        using var font = EmbeddedFonts.Font(size, bold);
        return font.MeasureText(text);
    }

    static string Fit(string text, SKFont font, float maxWidth)
    {
        if (float.IsPositiveInfinity(maxWidth) || font.MeasureText(text) <= maxWidth)
            return text;
        int lo = 0, hi = text.Length;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (font.MeasureText(text[..mid] + "…") <= maxWidth) lo = mid; else hi = mid - 1;
        }
        return lo == 0 ? "" : text[..lo] + "…";
    }

    /// <summary>PNG bytes of a Skia surface's bitmap.</summary>
    public static byte[] EncodePng(SKBitmap bitmap) => Png.Encode(bitmap, "a chart");
}
