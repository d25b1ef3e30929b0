using SkiaSharp;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering;

/// <summary>PNG encoding of <see cref="RgbImage"/>s (gray stays 8-bit gray, RGB becomes opaque RGBA).</summary>
public static class Png
{
    public static byte[] Encode(RgbImage image)
    {
        using var bitmap = ImageResize.ToBitmap(image);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"Skia could not PNG-encode a {image.Width}x{image.Height} image.");
        return data.ToArray();
    }
}
