using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.ExplanatoryGraph;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// The explanatory graph layer by layer: one square panel per layer (the model's input frame, top layer first), each
/// node a circle at its mean position sized by its firing frequency and coloured by its filter, each edge a line from
/// the node to where its parent sits (the node's position minus the displacement), darker for a larger weight. And
/// the graph on one image: the nodes that fire there, as circles coloured by layer.
/// </summary>
public static class ExplanatoryGraphFigure
{
    const int Panel = 260, Pad = 16, HeaderHeight = 52, CaptionHeight = 40;
    static readonly SKColor[] FilterColors =
    [
        new(0x4E, 0x79, 0xA7), new(0xF2, 0x8E, 0x2B), new(0xE1, 0x57, 0x59), new(0x76, 0xB7, 0xB2), new(0x59, 0xA1, 0x4F),
        new(0xED, 0xC9, 0x48), new(0xB0, 0x7A, 0xA1), new(0xFF, 0x9D, 0xA7), new(0x9C, 0x75, 0x5F), new(0xBA, 0xB0, 0xAC),
    ];

    /// <summary>The colour of filter <paramref name="filter"/> (the ten of Tableau's palette, by filter mod 10).</summary>
    public static SKColor ForFilter(int filter) => FilterColors[((filter % FilterColors.Length) + FilterColors.Length) % FilterColors.Length];

    /// <summary>The colour of the graph's layer <paramref name="layer"/> (0: the top one) on an image.</summary>
    public static SKColor ForLayer(int layer) => FilterColors[(layer * 2) % FilterColors.Length];

    public static byte[] RenderPng(ExplanatoryGraphResult result) => RenderPng(result, out _, out _);

    /// <summary>The figure as PNG, and its size.</summary>
    public static byte[] RenderPng(ExplanatoryGraphResult result, out int width, out int height)
    {
        using var bitmap = Render(result);
        (width, height) = (bitmap.Width, bitmap.Height);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(ExplanatoryGraphResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        int width = Pad + Math.Max(1, result.Layers.Count) * (Panel + Pad);
        int height = HeaderHeight + Panel + CaptionHeight + Pad;
        var bitmap = new SKBitmap(new SKImageInfo(Math.Max(width, 420), height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        ChartText.Draw(canvas, $"Explanatory graph over {result.Images.Count} images of {result.DatasetName}", Pad, Pad + 16, 16, ChartText.Ink,
            bold: true, maxWidth: bitmap.Width - 2 * Pad);
        ChartText.Draw(canvas, "node: mean position, size = firing frequency, colour = filter; line: towards its strongest parent (darker = larger weight)",
            Pad, Pad + 34, 11, ChartText.Muted, maxWidth: bitmap.Width - 2 * Pad);
        using var frame = new SKPaint { Color = PlotFrame.Axis, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        for (int l = 0; l < result.Layers.Count; l++)
        {
            var layer = result.Layers[l];
            float left = Pad + l * (Panel + Pad), top = HeaderHeight;
            canvas.DrawRect(SKRect.Create(left, top, Panel, Panel), frame);
            var byId = layer.Nodes.ToDictionary(n => n.Id);
            // Each node's strongest edge only: all of them (up to 15 a node) hide the nodes.
            foreach (var edge in layer.Edges.GroupBy(e => e.Child).Select(g => g.MaxBy(e => e.Weight)!))
            {
                if (!byId.TryGetValue(edge.Child, out var child)) continue;
                using var line = new SKPaint { Color = ChartText.Ink.WithAlpha((byte)Math.Clamp(40 + 200 * edge.Weight, 0, 255)), StrokeWidth = 1, IsAntialias = true };
                canvas.DrawLine(left + (float)child.X * Panel, top + (float)child.Y * Panel,
                    left + (float)(child.X - edge.Dx) * Panel, top + (float)(child.Y - edge.Dy) * Panel, line);
            }
            foreach (var node in layer.Nodes.OrderByDescending(n => n.Frequency))
            {
                using var fill = new SKPaint { Color = ForFilter(node.Filter).WithAlpha(200), IsAntialias = true };
                canvas.DrawCircle(left + (float)node.X * Panel, top + (float)node.Y * Panel, 2 + 10 * (float)node.Frequency, fill);
            }
            ChartText.Draw(canvas, layer.Name, left, top + Panel + 16, 12, ChartText.Ink, bold: true, maxWidth: Panel);
            ChartText.Draw(canvas, string.Create(CultureInfo.InvariantCulture,
                $"{layer.Nodes.Count} nodes of {layer.Nodes.Select(n => n.Filter).Distinct().Count()}/{layer.Filters} filters, explains {PlotFrame.Percent(layer.ExplainedShare)}"),
                left, top + Panel + 32, 11, ChartText.Muted, maxWidth: Panel);
        }
        return bitmap;
    }

    /// <summary>The nodes that fire on <paramref name="picture"/> (the image as the model saw it) drawn over it, one colour per layer.</summary>
    public static byte[] RenderInferencePng(RgbImage picture, ExplanatoryGraphResult graph, GraphInference inference, int side = 320)
    {
        ArgumentNullException.ThrowIfNull(picture);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(inference);
        float scale = side / (float)Math.Max(picture.Width, picture.Height);
        int w = Math.Max(1, (int)Math.Round(picture.Width * scale)), h = Math.Max(1, (int)Math.Round(picture.Height * scale));
        int legend = 18 * inference.Layers.Count + 8;
        using var bitmap = new SKBitmap(new SKImageInfo(w + 2 * Pad, h + 2 * Pad + legend, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);
        using (var source = ImageResize.ToBitmap(picture))
        using (var image = SKImage.FromBitmap(source))
            canvas.DrawImage(image, SKRect.Create(Pad, Pad, w, h), new SKSamplingOptions(SKFilterMode.Linear));
        for (int l = 0; l < inference.Layers.Count; l++)
        {
            var layer = inference.Layers[l];
            double max = layer.Firing.Select(f => f.Strength).DefaultIfEmpty(1).Max();
            using var ring = new SKPaint { Color = ForLayer(l), Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true };
            foreach (var firing in layer.Firing)
                canvas.DrawCircle(Pad + (float)firing.X * w, Pad + (float)firing.Y * h, 3 + 6 * (float)(firing.Strength / max) + 2 * (inference.Layers.Count - 1 - l), ring);
            using var chip = new SKPaint { Color = ForLayer(l), IsAntialias = true };
            float y = h + 2 * Pad + 18 * l;
            canvas.DrawCircle(Pad + 5, y, 5, chip);
            ChartText.Draw(canvas, string.Create(CultureInfo.InvariantCulture,
                $"{layer.Layer}: {layer.Firing.Count} nodes fire, explaining {PlotFrame.Percent(layer.ExplainedShare)}"), Pad + 16, y + 4, 11, ChartText.Ink, maxWidth: w);
        }
        return ChartText.EncodePng(bitmap);
    }
}
