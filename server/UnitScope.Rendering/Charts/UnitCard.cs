using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// One of a unit's top images with where the unit is "on" in it: <paramref name="Mask"/> holds
/// <paramref name="MaskHeight"/> × <paramref name="MaskWidth"/> booleans, row-major, at any
/// resolution (it is scaled to the image, nearest neighbour).
/// </summary>
public sealed record UnitCardTile(RgbImage Image, bool[] Mask, int MaskHeight, int MaskWidth, int ImageIndex, float MaxActivation);

/// <summary>
/// A unit's card: its layer, number, label, category and IoU as text, then its top images with the
/// unit's mask shown: the image is dimmed outside the mask and the mask's edge is outlined.
/// </summary>
public static class UnitCard
{
    public const int DefaultTileSize = 112;

    const int Pad = 8, Gap = 4, HeaderHeight = 50, CaptionHeight = 16;
    /// <summary>Brightness kept outside the mask.</summary>
    const float Dim = 0.3f;
    static readonly (byte R, byte G, byte B) Outline = (255, 214, 0);

    /// <summary>The card's size for <paramref name="tiles"/> images in rows of <paramref name="columns"/> (default: all in one row).</summary>
    public static (int Width, int Height) Size(int tiles, int tileSize = DefaultTileSize, int? columns = null)
    {
        int cols = Math.Max(1, Math.Min(columns ?? tiles, Math.Max(tiles, 1)));
        int rows = Math.Max(1, (tiles + cols - 1) / cols);
        int width = Math.Max(2 * Pad + cols * tileSize + (cols - 1) * Gap, 360);
        int height = HeaderHeight + rows * (tileSize + CaptionHeight) + (rows - 1) * Gap + Pad;
        return (width, height);
    }

    public static byte[] RenderPng(string layer, UnitDissection unit, IReadOnlyList<UnitCardTile> tiles,
        int tileSize = DefaultTileSize, int? columns = null)
    {
        using var bitmap = Render(layer, unit, tiles, tileSize, columns);
        return ChartText.EncodePng(bitmap);
    }

    public static SKBitmap Render(string layer, UnitDissection unit, IReadOnlyList<UnitCardTile> tiles,
        int tileSize = DefaultTileSize, int? columns = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(tiles);
        if (tileSize is < 16 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(tileSize), $"Tiles must be 16…1024 pixels, not {tileSize}.");
        var (w, h) = Size(tiles.Count, tileSize, columns);
        int cols = Math.Max(1, Math.Min(columns ?? tiles.Count, Math.Max(tiles.Count, 1)));
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);

        float right = w - Pad;
        float thresholdWidth = ChartText.Draw(canvas, "t = " + unit.Threshold.ToString("G4", CultureInfo.InvariantCulture),
            right, 20, 12, ChartText.Muted, align: SKTextAlign.Right);
        ChartText.Draw(canvas, $"{layer} · unit {unit.Unit}", Pad, 20, 15, ChartText.Ink, bold: true, maxWidth: w - 2 * Pad - thresholdWidth - 8);
        if (unit.Label is { } label)
            ChartText.Draw(canvas, $"{label.Concept} ({label.Category}) · IoU {Iou(label.Iou)}", Pad, 41, 15,
                CategoryPalette.TextColorOf(label.Category), bold: true, maxWidth: w - 2 * Pad);
        else
            ChartText.Draw(canvas, unit.Best is { } best ? $"no label · best: {best.Concept} ({best.Category}) IoU {Iou(best.Iou)}" : "no label",
                Pad, 41, 14, CategoryPalette.Unlabelled, maxWidth: w - 2 * Pad);

        if (tiles.Count == 0)
        {
            ChartText.Draw(canvas, "no top images", Pad, HeaderHeight + tileSize / 2f, 13, ChartText.Muted);
            return bitmap;
        }
        for (int i = 0; i < tiles.Count; i++)
        {
            int col = i % cols, row = i / cols;
            float x = Pad + col * (tileSize + Gap);
            float y = HeaderHeight + row * (tileSize + CaptionHeight + Gap);
            using var tile = RenderTile(tiles[i], tileSize);
            canvas.DrawBitmap(tile, x, y, new SKSamplingOptions(SKFilterMode.Nearest), null);
            string caption = string.Create(CultureInfo.InvariantCulture, $"#{tiles[i].ImageIndex} · {tiles[i].MaxActivation:G3}");
            ChartText.Draw(canvas, caption, x + 1, y + tileSize + 12, 10, ChartText.Muted, maxWidth: tileSize);
        }
        return bitmap;
    }

    static string Iou(double iou) => iou.ToString("0.000", CultureInfo.InvariantCulture);

    /// <summary>The image at tile size, dimmed outside the mask, the mask's edge outlined.</summary>
    public static SKBitmap RenderTile(UnitCardTile tile, int size)
    {
        var image = ImageResize.Resize(tile.Image, size, size);
        if (tile.Mask.Length != tile.MaskHeight * tile.MaskWidth || tile.MaskHeight <= 0 || tile.MaskWidth <= 0)
            throw new ArgumentException($"A {tile.MaskHeight}x{tile.MaskWidth} mask needs {tile.MaskHeight * tile.MaskWidth} values, not {tile.Mask.Length}.");
        var mask = new bool[size * size];
        for (int y = 0; y < size; y++)
        {
            int my = Math.Min(tile.MaskHeight - 1, (int)((y + 0.5) * tile.MaskHeight / size));
            for (int x = 0; x < size; x++)
            {
                int mx = Math.Min(tile.MaskWidth - 1, (int)((x + 0.5) * tile.MaskWidth / size));
                mask[y * size + x] = tile.Mask[my * tile.MaskWidth + mx];
            }
        }

        var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
        var pixels = bitmap.GetPixelSpan();
        int stride = bitmap.RowBytes;
        bool gray = image.Channels == 1;
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                int i = y * size + x;
                byte r, g, b;
                if (gray) r = g = b = image.Pixels[i];
                else (r, g, b) = (image.Pixels[3 * i], image.Pixels[3 * i + 1], image.Pixels[3 * i + 2]);
                if (!mask[i])
                    (r, g, b) = ((byte)(r * Dim), (byte)(g * Dim), (byte)(b * Dim));
                else if (OnEdge(mask, size, x, y))
                    (r, g, b) = Outline;
                int o = y * stride + 4 * x;
                pixels[o] = r;
                pixels[o + 1] = g;
                pixels[o + 2] = b;
                pixels[o + 3] = 255;
            }
        }
        return bitmap;
    }

    /// <summary>A mask pixel within 1 pixel (8-neighbourhood) of a pixel outside the mask; the image's border does not count as outside.</summary>
    static bool OnEdge(bool[] mask, int size, int x, int y)
    {
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
            {
                int nx = x + dx, ny = y + dy;
                if (nx < 0 || ny < 0 || nx >= size || ny >= size)
                    continue;
                if (!mask[ny * size + nx])
                    return true;
            }
        return false;
    }
}
