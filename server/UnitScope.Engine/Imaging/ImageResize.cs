using SkiaSharp;

namespace UnitScope.Engine.Imaging;

/// <summary>Resizing <see cref="RgbImage"/>s with Skia, keeping their channel count.</summary>
public static class ImageResize
{
    /// <summary>
    /// The sampling used to go from <paramref name="from"/> to <paramref name="to"/>, Skia's
    /// "high quality" choice: when either side shrinks, bilinear with linear mipmaps (trilinear,
    /// which averages away aliasing the way an antialiased downscale does); when both sides grow
    /// (or stay), bicubic Mitchell–Netravali (B = C = 1/3).
    /// </summary>
    public static SKSamplingOptions SamplingFor(SKSizeI from, SKSizeI to) =>
        to.Width < from.Width || to.Height < from.Height
            ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
            : new SKSamplingOptions(SKCubicResampler.Mitchell);

    /// <summary>A copy of <paramref name="image"/> at <paramref name="width"/> × <paramref name="height"/>
    /// (aspect ratio not kept); the same instance when the size already matches.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width <= 0 || height <= 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Cannot resize an image to {width}x{height}.");
        if (image.Width == width && image.Height == height)
            return image;

        using var src = ToBitmap(image);
        var info = new SKImageInfo(width, height, src.ColorType, SKAlphaType.Opaque);
        using var dst = new SKBitmap(info);
        var sampling = SamplingFor(new SKSizeI(image.Width, image.Height), new SKSizeI(width, height));
        if (!src.ScalePixels(dst, sampling))
            throw new InvalidOperationException($"Skia could not resize a {image.Width}x{image.Height} {src.ColorType} image to {width}x{height}.");
        return FromBitmap(dst, image.Channels);
    }

    /// <summary>An opaque Skia bitmap holding the image: Gray8 for 1 channel, Rgba8888 for 3.</summary>
    public static SKBitmap ToBitmap(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        Check(image);
        if (image.Channels == 1)
        {
            var gray = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque));
            var g = gray.GetPixelSpan();
            for (int y = 0; y < image.Height; y++)
                image.Pixels.AsSpan(y * image.Width, image.Width).CopyTo(g.Slice(y * gray.RowBytes, image.Width));
            return gray;
        }
        var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var dst = bitmap.GetPixelSpan();
        var src = image.Pixels;
        for (int y = 0; y < image.Height; y++)
        {
            var row = dst.Slice(y * bitmap.RowBytes, image.Width * 4);
            for (int x = 0; x < image.Width; x++)
            {
                int o = (y * image.Width + x) * 3;
                row[4 * x] = src[o];
                row[4 * x + 1] = src[o + 1];
                row[4 * x + 2] = src[o + 2];
                row[4 * x + 3] = 255;
            }
        }
        return bitmap;
    }

    /// <summary>Reads a Gray8 or Rgba8888 bitmap back into an image with <paramref name="channels"/> channels.</summary>
    internal static RgbImage FromBitmap(SKBitmap bitmap, int channels)
    {
        int w = bitmap.Width, h = bitmap.Height, n = w * h;
        var src = bitmap.GetPixelSpan();
        if (bitmap.ColorType == SKColorType.Gray8 && channels == 1)
        {
            var gray = new byte[n];
            // Rows may be padded.
            for (int y = 0; y < h; y++)
                src.Slice(y * bitmap.RowBytes, w).CopyTo(gray.AsSpan(y * w, w));
            return new RgbImage(w, h, 1, gray);
        }
        if (bitmap.ColorType != SKColorType.Rgba8888 || channels != 3)
            throw new InvalidOperationException($"Unexpected bitmap {bitmap.ColorType} for {channels} channels.");
        var rgb = new byte[n * 3];
        for (int y = 0; y < h; y++)
        {
            var row = src.Slice(y * bitmap.RowBytes, w * 4);
            for (int x = 0; x < w; x++)
            {
                int o = (y * w + x) * 3;
                rgb[o] = row[4 * x];
                rgb[o + 1] = row[4 * x + 1];
                rgb[o + 2] = row[4 * x + 2];
            }
        }
        return new RgbImage(w, h, 3, rgb);
    }

    internal static void Check(RgbImage image) => image.Validate();
}
