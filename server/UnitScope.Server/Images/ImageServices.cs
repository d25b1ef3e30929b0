using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Images;

/// <summary>Image decoding, behind an interface so handler tests can run without files.</summary>
internal interface IImageCodec
{
    /// <exception cref="UnitScopeException">FileNotFound, BadImage.</exception>
    RgbImage Load(string path);
    /// <exception cref="UnitScopeException">BadImage.</exception>
    RgbImage Decode(byte[] bytes, string nameForErrors);
}

internal interface IOverlayRenderer
{
    /// <summary>The map upsampled, colored and blended over the image; a PNG at the image's size.</summary>
    byte[] RenderOverlayPng(RgbImage image, UnitMap map);
}

internal sealed class EngineImageCodec : IImageCodec
{
    public RgbImage Load(string path) => ImageFile.Load(path);
    public RgbImage Decode(byte[] bytes, string nameForErrors) => ImageFile.Decode(bytes, nameForErrors);
}

internal sealed class SkiaOverlayRenderer : IOverlayRenderer
{
    public byte[] RenderOverlayPng(RgbImage image, UnitMap map) => UnitMapRenderer.RenderOverlayPng(image, map);
}

/// <summary>The image a request names: exactly one of a path and base64 bytes.</summary>
internal static class ImageInput
{
    public static RgbImage Read(IImageCodec codec, string? imagePath, string? imageBase64)
    {
        var hasPath = !string.IsNullOrWhiteSpace(imagePath);
        var hasBytes = !string.IsNullOrWhiteSpace(imageBase64);
        if (hasPath == hasBytes)
            throw RpcErrors.InvalidParams(hasPath
                ? "Give either imagePath or imageBase64, not both."
                : "An image is required: give imagePath or imageBase64.");
        if (hasPath) return codec.Load(Path.GetFullPath(imagePath!));

        byte[] bytes;
        try
        {
            var text = imageBase64!.Trim();
            // Accept a data URL as well as bare base64.
            var comma = text.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? text.IndexOf(',') : -1;
            bytes = Convert.FromBase64String(comma >= 0 ? text[(comma + 1)..] : text);
        }
        catch (FormatException)
        {
            throw RpcErrors.InvalidParams("imageBase64 is not valid base64.");
        }
        return codec.Decode(bytes, "imageBase64");
    }
}
