using SkiaSharp;

namespace UnitScope.Engine.Datasets;

/// <summary>
/// Broden's segmentation PNGs: the label of a pixel is <c>R + 256·G</c> of its raw 8-bit RGB values
/// (blue and alpha are ignored, as NetDissect-Lite ignores them). Decoded with SkiaSharp with no colour
/// management (gAMA/sRGB/iCCP chunks are ignored) and alpha unpremultiplied, so every value is the one
/// stored in the file; palette PNGs give their palette entries' RGB. An 8-bit grayscale PNG (which
/// NetDissect-Lite cannot read) gives label = gray value. Only 8-bit PNGs are accepted: a JPEG would
/// blur labels, a 16-bit PNG would be rounded.
/// </summary>
internal static class LabelMaskFile
{
    /// <summary>Row-major labels and the mask's size.</summary>
    internal readonly record struct Mask(int Width, int Height, int[] Labels);

    /// <exception cref="UnitScopeException">FileNotFound when the file is missing; BadImage naming the file when
    /// it is not an 8-bit PNG Skia can decode.</exception>
    public static Mask Read(string path)
    {
        return Decode(UserFile.ReadAllBytes(path, "Segmentation mask"), path);
    }

    public static Mask Decode(byte[] bytes, string nameForErrors)
    {
        if (bytes.Length == 0)
            throw Bad(nameForErrors, "the file is empty");
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw Bad(nameForErrors, "not an image Skia can decode");
        if (codec.EncodedFormat != SKEncodedImageFormat.Png)
            throw Bad(nameForErrors, $"segmentation masks must be PNG (lossless), not {codec.EncodedFormat}");
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0)
            throw Bad(nameForErrors, $"it has an empty size ({info.Width}x{info.Height})");
        if (info.ColorType is not (SKColorType.Gray8 or SKColorType.Rgba8888 or SKColorType.Bgra8888 or SKColorType.Rgb888x))
            throw Bad(nameForErrors, $"only 8-bit PNG masks are supported (this one decodes as {info.ColorType})");

        bool gray = info.ColorType == SKColorType.Gray8;
        // A null colour space: no colour conversion. Unpremul: stored values even where alpha < 255.
        var target = new SKImageInfo(info.Width, info.Height,
            gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var raw = new byte[target.BytesSize];
        var result = codec.GetPixels(target, raw);
        if (result != SKCodecResult.Success)
            throw Bad(nameForErrors, result == SKCodecResult.IncompleteInput ? "the file is truncated" : $"decoding failed ({result})");

        int n = info.Width * info.Height;
        var labels = new int[n];
        if (gray)
            for (int i = 0; i < n; i++)
                labels[i] = raw[i];
        else
            for (int i = 0; i < n; i++)
                labels[i] = raw[4 * i] + 256 * raw[4 * i + 1];
        return new Mask(info.Width, info.Height, labels);
    }

    static UnitScopeException Bad(string name, string why) =>
        new(EngineErrorKind.BadImage, $"Cannot decode segmentation mask '{name}': {why}.");
}
