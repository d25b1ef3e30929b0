using System.Globalization;
using SkiaSharp;
using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers.ReceptiveFields;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// A unit's gallery in the manner of Zeiler &amp; Fergus's figure 2: per strongest activation, the whole image with the
/// receptive field outlined, the image patch under the field, and the activation's projection to the pixels there.
/// </summary>
public static class UnitGalleryFigure
{
    public const int DefaultTileSize = 96;
    const int Pad = 12, Gap = 6, HeaderHeight = 58, RowLabelWidth = 78, CaptionHeight = 16;
    static readonly (byte R, byte G, byte B) Outline = (255, 214, 0);
    static readonly string[] RowNames = ["image", "patch", "projection"];

    /// <summary>The part of <paramref name="picture"/> under <paramref name="box"/> (clipped to it), as a new image.</summary>
    public static RgbImage Patch(RgbImage picture, PixelBox box)
    {
        ArgumentNullException.ThrowIfNull(picture);
        box = box.ClipTo(picture.Height, picture.Width);
        int c = picture.Channels;
        var pixels = new byte[box.Height * box.Width * c];
        for (int y = 0; y < box.Height; y++)
            Array.Copy(picture.Pixels, ((box.Top + y) * picture.Width + box.Left) * c, pixels, y * box.Width * c, box.Width * c);
        return new RgbImage(box.Width, box.Height, c, pixels);
    }

    /// <summary>
    /// A projection as an image: zero is mid-grey, the largest magnitude black or white (one scale for all channels, so
    /// colours keep their balance), as Zeiler &amp; Fergus show theirs. One channel gives grey, three colour.
    /// </summary>
    public static RgbImage Projection(UnitProjection item)
    {
        ArgumentNullException.ThrowIfNull(item);
        int h = item.Box.Height, w = item.Box.Width, c = item.Channels;
        if (item.Values.Length != c * h * w)
            throw new ArgumentException($"A {c}x{h}x{w} projection needs {c * h * w} values, not {item.Values.Length}.", nameof(item));
        float scale = item.Values.Length == 0 ? 0 : item.Values.Max(Math.Abs);
        var pixels = new byte[h * w * c];
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < h * w; i++)
            {
                float v = scale > 0 ? item.Values[ch * h * w + i] / (2 * scale) + 0.5f : 0.5f;
                pixels[i * c + ch] = (byte)Math.Clamp(MathF.Round(v * 255), 0, 255);
            }
        return new RgbImage(w, h, c, pixels);
    }

    /// <summary>The whole picture in colour with <paramref name="box"/>'s border drawn over it (2 px, inside the box).</summary>
    public static RgbImage WithBox(RgbImage picture, PixelBox box)
    {
        ArgumentNullException.ThrowIfNull(picture);
        box = box.ClipTo(picture.Height, picture.Width);
        int w = picture.Width, h = picture.Height;
        var pixels = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++)
            for (int ch = 0; ch < 3; ch++)
                pixels[3 * i + ch] = picture.Pixels[i * picture.Channels + (picture.Channels == 3 ? ch : 0)];
        int thickness = Math.Max(1, Math.Min(2, Math.Min(box.Height, box.Width) / 4));
        for (int y = box.Top; y < box.Bottom; y++)
            for (int x = box.Left; x < box.Right; x++)
            {
                bool border = y - box.Top < thickness || box.Bottom - 1 - y < thickness || x - box.Left < thickness || box.Right - 1 - x < thickness;
                if (!border) continue;
                int o = 3 * (y * w + x);
                (pixels[o], pixels[o + 1], pixels[o + 2]) = Outline;
            }
        return new RgbImage(w, h, 3, pixels);
    }

    /// <param name="pictures">The winners' images as the model saw them, in the result's order (<see cref="UnitGallery.Pictures"/>).</param>
    public static byte[] RenderPng(UnitGalleryResult result, IReadOnlyList<RgbImage> pictures, int tileSize = DefaultTileSize)
    {
        using var bitmap = Render(result, pictures, tileSize);
        return ChartText.EncodePng(bitmap);
    }

    /// <inheritdoc cref="RenderPng"/>
    public static SKBitmap Render(UnitGalleryResult result, IReadOnlyList<RgbImage> pictures, int tileSize = DefaultTileSize)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(pictures);
        var items = result.Projections.Items;
        if (pictures.Count != items.Count)
            throw new ArgumentException($"One picture per activation: {pictures.Count} for {items.Count}.", nameof(pictures));
        if (tileSize is < 16 or > 1024)
            throw new ArgumentOutOfRangeException(nameof(tileSize), $"Tiles must be 16…1024 pixels, not {tileSize}.");
        int columns = Math.Max(1, items.Count);
        int width = Pad * 2 + RowLabelWidth + columns * tileSize + (columns - 1) * Gap;
        int height = HeaderHeight + RowNames.Length * (tileSize + Gap) + CaptionHeight + Pad;
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(ChartText.Background);

        ChartText.Draw(canvas, $"{result.Layer} · unit {result.Unit} · top {items.Count} of {result.Images} images",
            Pad, 22, 15, ChartText.Ink, bold: true, maxWidth: width - 2 * Pad);
        ChartText.Draw(canvas, result.Projections.Reason, Pad, 44, 12, ChartText.Muted, maxWidth: width - 2 * Pad);
        if (items.Count == 0)
        {
            ChartText.Draw(canvas, "no activations", Pad, HeaderHeight + tileSize / 2f, 13, ChartText.Muted);
            return bitmap;
        }
        for (int row = 0; row < RowNames.Length; row++)
            ChartText.Draw(canvas, RowNames[row], Pad, HeaderHeight + row * (tileSize + Gap) + tileSize / 2f + 4, 12, ChartText.Muted,
                maxWidth: RowLabelWidth - 4);
        for (int i = 0; i < items.Count; i++)
        {
            float x = Pad + RowLabelWidth + i * (tileSize + Gap);
            RgbImage[] tiles = [WithBox(pictures[i], items[i].Box), Patch(pictures[i], items[i].Box), Projection(items[i])];
            for (int row = 0; row < tiles.Length; row++)
                DrawTile(canvas, tiles[row], x, HeaderHeight + row * (tileSize + Gap), tileSize);
            string caption = string.Create(CultureInfo.InvariantCulture, $"#{items[i].Activation.Image} · {items[i].Activation.Value:G3}");
            ChartText.Draw(canvas, caption, x + 1, HeaderHeight + RowNames.Length * (tileSize + Gap) + 8, 10, ChartText.Muted, maxWidth: tileSize);
        }
        return bitmap;
    }

    /// <summary>An image fitted into a square tile, aspect kept, pixels kept sharp (patches are small).</summary>
    static void DrawTile(SKCanvas canvas, RgbImage image, float x, float y, int size)
    {
        if (image.Width == 0 || image.Height == 0) return;
        using var bitmap = ImageResize.ToBitmap(image);
        float scale = (float)size / Math.Max(image.Width, image.Height);
        float w = image.Width * scale, h = image.Height * scale;
        var target = SKRect.Create(x + (size - w) / 2, y + (size - h) / 2, w, h);
        using var skImage = SKImage.FromBitmap(bitmap);
        canvas.DrawImage(skImage, target, new SKSamplingOptions(SKFilterMode.Nearest));
    }
}
