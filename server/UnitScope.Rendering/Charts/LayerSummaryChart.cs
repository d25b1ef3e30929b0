using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// A layer's dissection at a glance, as in Bau et al.'s figures: how many units are labelled and how
/// many per category ("12 object · 5 part · 3 color"), then one bar per detected concept with its
/// number of units, grouped by category and coloured by <see cref="CategoryPalette"/>.
/// </summary>
public static class LayerSummaryChart
{
    public const int DefaultWidth = 960;
    /// <summary>Concepts beyond this many are summed up in one "… more" line.</summary>
    public const int MaxBars = 80;

    const float Pad = 16, RowHeight = 22, BarThickness = 14, GroupGap = 8, HeaderHeight = 108;

    /// <summary>One bar: a concept, its category and how many units have it as their label.</summary>
    public sealed record Bar(string Concept, string Category, int Units);

    /// <summary>The bars in drawing order: categories by labelled units (descending), concepts by units then name.</summary>
    public static IReadOnlyList<Bar> Bars(LayerDissection layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var bars = layer.Units.Where(u => u.Label is not null)
            .GroupBy(u => (u.Label!.Category, u.Label.Concept))
            .Select(g => new Bar(g.Key.Concept, g.Key.Category, g.Count()))
            .ToList();
        var perCategory = bars.GroupBy(b => b.Category).ToDictionary(g => g.Key, g => g.Sum(b => b.Units));
        var order = CategoryPalette.Order(perCategory.Keys, c => perCategory[c]);
        return order.SelectMany(c => bars.Where(b => b.Category == c)
                .OrderByDescending(b => b.Units).ThenBy(b => b.Concept, StringComparer.Ordinal))
            .ToList();
    }

    /// <summary>Labelled units per category, in the chart's order.</summary>
    public static IReadOnlyList<(string Category, int Units)> Counts(LayerDissection layer)
    {
        var counts = layer.Units.Where(u => u.Label is not null).GroupBy(u => u.Label!.Category).ToDictionary(g => g.Key, g => g.Count());
        return CategoryPalette.Order(counts.Keys, c => counts[c]).Select(c => (c, counts[c])).ToList();
    }

    /// <summary>The chart's size in pixels for <paramref name="layer"/>.</summary>
    public static (int Width, int Height) Size(LayerDissection layer, int width = DefaultWidth)
    {
        var bars = Bars(layer);
        int shown = Math.Min(bars.Count, MaxBars);
        int groups = bars.Take(shown).Select(b => b.Category).Distinct().Count();
        int rows = shown == 0 ? 1 : shown + (bars.Count > shown ? 1 : 0);
        return (width, (int)Math.Ceiling(HeaderHeight + rows * RowHeight + Math.Max(0, groups - 1) * GroupGap + Pad));
    }

    /// <summary>What a probe set's images are called under the title; a generator's dissection says "generated samples".</summary>
    public const string ProbeImages = "probe images";
    public const string GeneratedSamples = "generated samples";

    /// <summary>The chart as PNG bytes, <paramref name="width"/> pixels wide (height from <see cref="Size"/>).</summary>
    public static byte[] RenderPng(LayerDissection layer, int width = DefaultWidth, string images = ProbeImages)
    {
        using var bitmap = Render(layer, width, images);
        return ChartText.EncodePng(bitmap);
    }

    /// <summary>The line under the title: concepts, thresholds and what the units were dissected over.</summary>
    public static string Detail(LayerDissection layer, string images = ProbeImages) => string.Create(CultureInfo.InvariantCulture,
        $"{Bars(layer).Count} concepts · IoU > {layer.Options.IouThreshold:0.###} · top {layer.Options.Quantile * 100:0.###}% activations · {layer.ImageCount} {images}");

    public static SKBitmap Render(LayerDissection layer, int width = DefaultWidth, string images = ProbeImages)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (width < 320)
            throw new ArgumentOutOfRangeException(nameof(width), $"A summary chart needs at least 320 pixels of width, not {width}.");
        var (w, h) = Size(layer, width);
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);

        var bars = Bars(layer);
        int labelled = layer.Units.Count(u => u.Label is not null);
        float y = Pad + 20;
        ChartText.Draw(canvas, $"{layer.Layer}: {labelled} of {layer.Units.Count} units labelled", Pad, y, 20, ChartText.Ink,
            bold: true, maxWidth: w - 2 * Pad);
        y += 24;
        ChartText.Draw(canvas, Detail(layer, images), Pad, y, 13, ChartText.Muted, maxWidth: w - 2 * Pad);
        y += 30;
        DrawCategoryChips(canvas, Counts(layer), Pad, y, w - Pad);

        y = HeaderHeight;
        if (bars.Count == 0)
        {
            ChartText.Draw(canvas, $"No unit's best concept has an IoU above {layer.Options.IouThreshold.ToString("0.###", CultureInfo.InvariantCulture)}.",
                Pad, y + 15, 14, ChartText.Muted, maxWidth: w - 2 * Pad);
            return bitmap;
        }

        var shown = bars.Take(MaxBars).ToList();
        float labelWidth = Math.Min(shown.Max(b => ChartText.Measure(b.Concept, 13)) + 4, Math.Max(120, (w - 2 * Pad) * 0.3f));
        float x0 = Pad + labelWidth + 8;
        float countSpace = ChartText.Measure("0000", 12) + 8;
        float barSpace = Math.Max(40, w - Pad - countSpace - x0);
        int max = shown.Max(b => b.Units);
        using var barPaint = new SKPaint { IsAntialias = false };
        using var axisPaint = new SKPaint { Color = new SKColor(0xCC, 0xCC, 0xCC), StrokeWidth = 1 };
        string? group = null;
        float top = y;
        foreach (var bar in shown)
        {
            if (group is not null && group != bar.Category)
                y += GroupGap;
            group = bar.Category;
            float mid = y + RowHeight / 2;
            ChartText.Draw(canvas, bar.Concept, x0 - 8, mid + 4.5f, 13, ChartText.Ink, maxWidth: labelWidth, align: SKTextAlign.Right);
            float length = Math.Max(2, barSpace * bar.Units / max);
            barPaint.Color = CategoryPalette.ColorOf(bar.Category);
            canvas.DrawRect(x0, mid - BarThickness / 2, length, BarThickness, barPaint);
            ChartText.Draw(canvas, bar.Units.ToString(CultureInfo.InvariantCulture), x0 + length + 5, mid + 4.5f, 12, ChartText.Muted);
            y += RowHeight;
        }
        canvas.DrawLine(x0 - 0.5f, top, x0 - 0.5f, y, axisPaint);
        if (bars.Count > shown.Count)
        {
            int rest = bars.Skip(shown.Count).Sum(b => b.Units);
            ChartText.Draw(canvas, $"… and {bars.Count - shown.Count} more concepts ({rest} units)", x0, y + 15, 13, ChartText.Muted);
        }
        return bitmap;
    }

    /// <summary>"■ 12 object  ■ 5 part …", wrapping is not needed: it is cut at the right edge.</summary>
    static void DrawCategoryChips(SKCanvas canvas, IReadOnlyList<(string Category, int Units)> counts, float x, float baseline, float right)
    {
        using var paint = new SKPaint { IsAntialias = true };
        foreach (var (category, units) in counts)
        {
            string text = $"{units} {category}";
            float width = 16 + ChartText.Measure(text, 15, bold: true);
            if (x + width > right)
                break;
            paint.Color = CategoryPalette.ColorOf(category);
            canvas.DrawRoundRect(x, baseline - 12, 12, 12, 2, 2, paint);
            ChartText.Draw(canvas, text, x + 16, baseline, 15, CategoryPalette.TextColorOf(category), bold: true);
            x += width + 18;
        }
    }
}
