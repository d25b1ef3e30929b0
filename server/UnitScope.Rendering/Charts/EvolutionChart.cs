using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Evolution;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// One layer over a training run, a checkpoint per slot in training order: the share of units labelled per concept
/// category as stacked bars (when the run was dissected; seed 000's concept emergence), the share of dead units as a
/// dark line and the weight change from the previous checkpoint (‖W − W_prev‖ / ‖W_prev‖, clipped at 1) as a dashed one.
/// </summary>
public static class EvolutionChart
{
    public const int DefaultWidth = 900;
    /// <summary>The chart's height, whatever its width.</summary>
    public const int Height = 340;
    /// <summary>The dead-unit line.</summary>
    public static readonly SKColor Dead = new(0x22, 0x22, 0x22);
    /// <summary>The weight-change line.</summary>
    public static readonly SKColor WeightChange = new(0x8A, 0x8A, 0x8A);
    const float Pad = 16, HeaderHeight = 70;

    public static byte[] RenderPng(EvolutionResult result, string layer, int width = DefaultWidth)
    {
        using var bitmap = Render(result, layer, width);
        return ChartText.EncodePng(bitmap);
    }

    /// <exception cref="ArgumentException">The run does not follow <paramref name="layer"/>.</exception>
    public static SKBitmap Render(EvolutionResult result, string layer, int width = DefaultWidth)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (width < 400)
            throw new ArgumentOutOfRangeException(nameof(width), $"An evolution chart needs at least 400 pixels of width, not {width}.");
        if (!result.Layers.Contains(layer, StringComparer.Ordinal))
            throw new ArgumentException($"The run does not follow layer '{layer}'.", nameof(layer));
        var points = result.Checkpoints.Select(c => (c, l: c.Layers.First(l => l.Layer == layer))).ToList();
        // Categories in the palette's order, so a category keeps its place in the stack from checkpoint to checkpoint; only
        // those with a labelled unit somewhere (the dissection lists every category of the dataset, most with none).
        var categories = CategoryPalette.Order(points.SelectMany(p => p.l.LabelledByCategory?.Where(c => c.Value > 0).Select(c => c.Key) ?? []));

        var bitmap = new SKBitmap(new SKImageInfo(width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        ChartText.Draw(canvas, $"{layer} over {points.Count} checkpoints: labelled units per category, dead units, weight change",
            Pad, Pad + 18, 18, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        float legendX = Pad;
        var legend = categories.Select(c => (c, CategoryPalette.ColorOf(c))).Concat([("dead units", Dead), ("weight change (clipped at 1)", WeightChange)]);
        foreach (var (label, color) in legend)
        {
            using var chip = new SKPaint { Color = color, IsAntialias = true };
            canvas.DrawRoundRect(legendX, Pad + 32, 10, 10, 2, 2, chip);
            legendX += 14 + ChartText.Draw(canvas, label, legendX + 14, Pad + 41, 12, ChartText.Ink) + 16;
        }

        var frame = new PlotFrame(new SKRect(Pad + 50, HeaderHeight + 10, width - Pad, Height - 50), -0.5, Math.Max(1, points.Count) - 0.5, 0, 1);
        frame.Draw(canvas, [], _ => "", null, PlotFrame.Ticks(0, 1, 5), PlotFrame.Percent, "share of units");
        float slot = frame.Area.Width / Math.Max(1, points.Count);
        float bar = Math.Max(2, Math.Min(36, slot * 0.6f));
        int every = Math.Max(1, (int)Math.Ceiling(50 / slot));
        for (int k = 0; k < points.Count; k++)
        {
            var (checkpoint, summary) = points[k];
            float x = frame.X(k);
            double stacked = 0;
            foreach (var category in categories)
            {
                int count = summary.LabelledByCategory?.GetValueOrDefault(category) ?? 0;
                if (count == 0 || summary.Units == 0) continue;
                double top = Math.Min(1, stacked + (double)count / summary.Units);
                using var fill = new SKPaint { Color = CategoryPalette.ColorOf(category) };
                canvas.DrawRect(new SKRect(x - bar / 2, frame.Y(top), x + bar / 2, frame.Y(stacked)), fill);
                stacked = top;
            }
            if (k % every == 0)
                ChartText.Draw(canvas, Name(checkpoint, k), x, frame.Area.Bottom + 16, 10, ChartText.Muted, align: SKTextAlign.Center, maxWidth: slot * every - 4);
        }
        DrawLine(canvas, frame, points.Select(p => (double?)p.l.DeadFraction).ToList(), Dead, dashed: false);
        DrawLine(canvas, frame, points.Select(p => p.l.WeightChange is { } w && double.IsFinite(w) ? Math.Min(1, w) : (double?)null).ToList(), WeightChange, dashed: true);
        return bitmap;
    }

    /// <summary>The checkpoint's epoch (or step) when its entries or name said, else its place in the run.</summary>
    public static string Name(CheckpointSnapshot checkpoint, int index) =>
        checkpoint.Epoch is { } e ? "epoch " + e.ToString(CultureInfo.InvariantCulture)
        : checkpoint.Step is { } s ? "step " + s.ToString(CultureInfo.InvariantCulture)
        : "#" + (index + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>Segments between neighbouring known values (a gap where one is unknown), with a dot on each.</summary>
    static void DrawLine(SKCanvas canvas, PlotFrame frame, IReadOnlyList<double?> values, SKColor color, bool dashed)
    {
        using var dashes = dashed ? SKPathEffect.CreateDash([6, 4], 0) : null;
        using var stroke = new SKPaint { Color = color, IsAntialias = true, StrokeWidth = 2, Style = SKPaintStyle.Stroke, PathEffect = dashes };
        using var dot = new SKPaint { Color = color, IsAntialias = true };
        SKPoint? previous = null;
        for (int k = 0; k < values.Count; k++)
        {
            if (values[k] is not { } v)
            {
                previous = null;
                continue;
            }
            var point = new SKPoint(frame.X(k), frame.Y(Math.Clamp(v, 0, 1)));
            if (previous is { } p) canvas.DrawLine(p, point, stroke);
            canvas.DrawCircle(point, 3.5f, dot);
            previous = point;
        }
    }
}
