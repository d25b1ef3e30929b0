using SkiaSharp;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering;

/// <summary>PNG encoding: of <see cref="RgbImage"/>s (gray stays 8-bit gray, RGB becomes opaque RGBA) and of drawn bitmaps.</summary>
public static class Png
{
    /// <summary>
    /// Lossless like any PNG, but cheap: the Sub filter on every row and zlib level 1. Skia's default (every filter tried
    /// per row, zlib level 6; the quality argument of <c>SKBitmap.Encode</c> is ignored for PNG) cost 34.6 ms of CPU per
    /// dissection unit card against 7.6 ms for this, for files 12% larger (bench/README.md): a report of 512 cards
    /// spent 14 s of CPU more on compression than on everything else it draws.
    /// </summary>
    public static readonly SKPngEncoderOptions Options = new(SKPngEncoderFilterFlags.Sub, 1);

    public static byte[] Encode(RgbImage image)
    {
        using var bitmap = ImageResize.ToBitmap(image);
        return Encode(bitmap, $"a {image.Width}x{image.Height} image");
    }

    /// <summary>PNG bytes of a bitmap (a chart, a card); <paramref name="what"/> names it in the error.</summary>
    public static byte[] Encode(SKBitmap bitmap, string what)
    {
        using var pixels = bitmap.PeekPixels()
            ?? throw new InvalidOperationException($"Skia could not read the pixels of {what} to PNG-encode it.");
        using var data = pixels.Encode(Options)
            ?? throw new InvalidOperationException($"Skia could not PNG-encode {what} ({bitmap.Width}x{bitmap.Height}).");
        return data.ToArray();
    }
}
