using System.Runtime.InteropServices;
using SkiaSharp;

namespace UnitScope.Engine.Imaging;

/// <summary>
/// Reads image files into <see cref="RgbImage"/>s with SkiaSharp: PNG, JPEG, BMP, WebP and GIF
/// (first frame) — whatever Skia's codecs recognise from the bytes; the file extension is not used.
/// </summary>
/// <remarks>
/// Decoding follows what PyTorch pipelines see through PIL (<c>Image.open(p).convert("RGB")</c>,
/// torchvision's default loader), so a model gets the pixels it was trained on:
/// <list type="bullet">
/// <item>Sources Skia decodes as 8-bit grayscale (<see cref="SKColorType.Gray8"/>: gray PNGs and
/// JPEGs without alpha) give 1 channel; everything else gives 3 channels, RGB.</item>
/// <item>Alpha is dropped, not composited: each pixel keeps its unpremultiplied colour, as PIL's
/// <c>convert("RGB")</c> does. (Compositing on black or white would change the pixels of every
/// semi-transparent image relative to what the model saw in training.)</item>
/// <item>No colour management (embedded ICC profiles are ignored, like PIL) and no EXIF rotation
/// (PIL does not apply it either unless asked).</item>
/// </list>
/// <para>The pixel count is checked from the header before decoding (<see cref="ImageLimits.MaxPixels"/>), and a large
/// JPEG whose analysis needs only the model's input size may be decoded at a reduced scale
/// (<see cref="ImageDecodeHint"/>). The decoder's RGBA buffer is native memory, freed as soon as the RGB copy
/// is made, so a large image does not leave hundreds of MB in the managed heap.</para>
/// </remarks>
public static class ImageFile
{
    /// <param name="hint">The size the analysis resizes the image to; null: decode it whole (as PIL does).</param>
    /// <exception cref="UnitScopeException">FileNotFound when <paramref name="path"/> does not exist or is not a
    /// regular file, BadImage when it cannot be decoded or has more pixels than <see cref="ImageLimits.MaxPixels"/>.</exception>
    public static RgbImage Load(string path, ImageDecodeHint? hint = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        UserFile.RequireInside(path, "Image file");
        if (Directory.Exists(path))
            throw new UnitScopeException(EngineErrorKind.BadImage, $"'{path}' is a folder, not an image file.");
        return Decode(UserFile.ReadAllBytes(path, "Image file"), path, hint);
    }

    /// <param name="nameForErrors">What to call the image in error messages (usually its path).</param>
    /// <param name="hint">The size the analysis resizes the image to; null: decode it whole (as PIL does).</param>
    /// <exception cref="UnitScopeException">BadImage when the bytes are not an image Skia can decode, or it has more
    /// pixels than <see cref="ImageLimits.MaxPixels"/>.</exception>
    public static RgbImage Decode(byte[] bytes, string nameForErrors, ImageDecodeHint? hint = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0)
            throw Bad(nameForErrors, "the file is empty");

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw Bad(nameForErrors, "not a PNG, JPEG, BMP, WebP or GIF image");

        var source = codec.Info;
        if (source.Width <= 0 || source.Height <= 0)
            throw Bad(nameForErrors, $"it has an empty size ({source.Width}x{source.Height})");
        long pixels = (long)source.Width * source.Height;
        long limit = ImageLimits.MaxPixels;
        if (pixels > limit)
            throw Bad(nameForErrors, $"it is {source.Width}x{source.Height} = {pixels:N0} pixels, more than the limit of {limit:N0} " +
                $"(set by {ImageLimits.EnvironmentVariable} or --max-image-pixels)");

        var (width, height) = hint is not null && pixels > ImageLimits.LargePixels ? ScaledSize(codec, hint) : (source.Width, source.Height);
        bool gray = source.ColorType == SKColorType.Gray8;
        // A null colour space asks Skia for no colour conversion (PIL ignores ICC profiles too).
        var target = new SKImageInfo(width, height,
            gray ? SKColorType.Gray8 : SKColorType.Rgba8888,
            gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        long rawBytes = (long)width * height * target.BytesPerPixel;
        if (rawBytes > Array.MaxLength)
            throw Bad(nameForErrors, $"it is {width}x{height}, too large to decode");

        if (gray)
        {
            var pixelsGray = new byte[rawBytes];
            Check(codec.GetPixels(target, pixelsGray), nameForErrors);
            return new RgbImage(width, height, 1, pixelsGray);
        }

        // RGBA in native memory, freed at once: only the RGB copy stays.
        IntPtr raw = Marshal.AllocHGlobal((IntPtr)rawBytes);
        try
        {
            Check(codec.GetPixels(target, raw), nameForErrors);
            return new RgbImage(width, height, 3, DropAlpha(raw, width, height));
        }
        finally
        {
            Marshal.FreeHGlobal(raw);
        }
    }

    /// <summary>The smallest size the codec decodes to directly (JPEG: 1/8, 1/4, 1/2) that keeps the hint's margin.</summary>
    static (int Width, int Height) ScaledSize(SKCodec codec, ImageDecodeHint hint)
    {
        var full = codec.Info.Size;
        foreach (float scale in (float[])[0.125f, 0.25f, 0.5f])
        {
            var size = codec.GetScaledDimensions(scale);
            if (size.Width > 0 && size.Height > 0 && size.Width < full.Width && hint.Allows(size.Width, size.Height))
                return (size.Width, size.Height);
        }
        return (full.Width, full.Height);
    }

    /// <summary>RGBA rows → RGB, a row at a time through a managed buffer.</summary>
    static byte[] DropAlpha(IntPtr rgba, int width, int height)
    {
        var rgb = new byte[(long)width * height * 3];
        var row = new byte[width * 4];
        for (int y = 0; y < height; y++)
        {
            Marshal.Copy(rgba + (nint)((long)y * width * 4), row, 0, row.Length);
            long o = (long)y * width * 3;
            for (int x = 0; x < width; x++)
            {
                rgb[o + 3 * x] = row[4 * x];
                rgb[o + 3 * x + 1] = row[4 * x + 1];
                rgb[o + 3 * x + 2] = row[4 * x + 2];
            }
        }
        return rgb;
    }

    static void Check(SKCodecResult result, string name)
    {
        if (result != SKCodecResult.Success)
            throw Bad(name, result == SKCodecResult.IncompleteInput ? "the file is truncated" : $"decoding failed ({result})");
    }

    static UnitScopeException Bad(string name, string why) =>
        new(EngineErrorKind.BadImage, $"Cannot decode image '{name}': {why}.");
}
