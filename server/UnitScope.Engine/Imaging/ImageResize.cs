using SkiaSharp;

namespace UnitScope.Engine.Imaging;

/// <summary>Resizing <see cref="RgbImage"/>s, keeping their channel count, and moving them in and out of Skia bitmaps.</summary>
public static class ImageResize
{
    /// <summary>A copy of <paramref name="image"/> at <paramref name="width"/> × <paramref name="height"/>
    /// (aspect ratio not kept), resampled as PIL does (torchvision's <c>Resize</c>: <see cref="PilResample"/>),
    /// bilinear with antialiasing unless told otherwise; the same instance when the size already matches.</summary>
    public static RgbImage Resize(RgbImage image, int width, int height, Resampling resampling = Resampling.Bilinear) =>
        PilResample.Resize(image, width, height, resampling);

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

    internal static void Check(RgbImage image) => image.Validate();
}
