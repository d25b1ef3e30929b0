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
/// </remarks>
public static class ImageFile
{
    /// <exception cref="UnitScopeException">FileNotFound when <paramref name="path"/> does not exist,
    /// BadImage when it cannot be decoded.</exception>
    public static RgbImage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw new UnitScopeException(EngineErrorKind.BadImage, $"'{path}' is a folder, not an image file.");
        return Decode(UserFile.ReadAllBytes(path, "Image file"), path);
    }

    /// <param name="nameForErrors">What to call the image in error messages (usually its path).</param>
    /// <exception cref="UnitScopeException">BadImage when the bytes are not an image Skia can decode.</exception>
    public static RgbImage Decode(byte[] bytes, string nameForErrors)
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

        bool gray = source.ColorType == SKColorType.Gray8;
        // A null colour space asks Skia for no colour conversion (PIL ignores ICC profiles too).
        var target = new SKImageInfo(source.Width, source.Height,
            gray ? SKColorType.Gray8 : SKColorType.Rgba8888,
            gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var raw = new byte[target.BytesSize];
        var result = codec.GetPixels(target, raw);
        if (result != SKCodecResult.Success)
            throw Bad(nameForErrors, result == SKCodecResult.IncompleteInput
                ? "the file is truncated"
                : $"decoding failed ({result})");

        if (gray)
            return new RgbImage(source.Width, source.Height, 1, raw);

        int n = source.Width * source.Height;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            rgb[3 * i] = raw[4 * i];
            rgb[3 * i + 1] = raw[4 * i + 1];
            rgb[3 * i + 2] = raw[4 * i + 2];
        }
        return new RgbImage(source.Width, source.Height, 3, rgb);
    }

    static UnitScopeException Bad(string name, string why) =>
        new(EngineErrorKind.BadImage, $"Cannot decode image '{name}': {why}.");
}
