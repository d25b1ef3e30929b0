using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Images;

/// <summary>Image decoding, behind an interface so handler tests can run without files.</summary>
internal interface IImageCodec
{
    /// <param name="hint">The size the analysis resizes the image to (a large image may be decoded smaller); null: whole.</param>
    /// <exception cref="UnitScopeException">FileNotFound, BadImage.</exception>
    RgbImage Load(string path, ImageDecodeHint? hint = null);
    /// <exception cref="UnitScopeException">BadImage.</exception>
    RgbImage Decode(byte[] bytes, string nameForErrors, ImageDecodeHint? hint = null);
}

internal interface IOverlayRenderer
{
    /// <summary>The map upsampled, colored and blended over the image; a PNG at the image's size.</summary>
    byte[] RenderOverlayPng(RgbImage image, UnitMap map);
}

internal sealed class EngineImageCodec : IImageCodec
{
    public RgbImage Load(string path, ImageDecodeHint? hint = null) => ImageFile.Load(path, hint);
    public RgbImage Decode(byte[] bytes, string nameForErrors, ImageDecodeHint? hint = null) => ImageFile.Decode(bytes, nameForErrors, hint);
}

internal sealed class SkiaOverlayRenderer : IOverlayRenderer
{
    public byte[] RenderOverlayPng(RgbImage image, UnitMap map) => UnitMapRenderer.RenderOverlayPng(image, map);
}

/// <summary>The image a request names: exactly one of a path and base64 bytes.</summary>
internal static class ImageInput
{
    /// <param name="hint">The size the analysis resizes the image to (<see cref="Models.IModel.DecodeHint"/>): a large
    /// JPEG is then decoded at a reduced scale instead of whole.</param>
    public static RgbImage Read(IImageCodec codec, string? imagePath, string? imageBase64, ImageDecodeHint? hint = null)
    {
        var hasPath = !string.IsNullOrWhiteSpace(imagePath);
        var hasBytes = !string.IsNullOrWhiteSpace(imageBase64);
        if (hasPath == hasBytes)
            throw RpcErrors.InvalidParams(hasPath
                ? "Give either imagePath or imageBase64, not both."
                : "An image is required: give imagePath or imageBase64.");
        if (hasPath)
        {
            var path = Path.GetFullPath(imagePath!);
            UserFile.RequireInside(path, "Image file");
            return codec.Load(path, hint);
        }

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
        return codec.Decode(bytes, "imageBase64", hint);
    }
}
