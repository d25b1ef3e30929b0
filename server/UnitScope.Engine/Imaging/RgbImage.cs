namespace UnitScope.Engine.Imaging;

/// <summary>
/// A decoded 8-bit image, interleaved (HWC), with 1 (gray) or 3 (RGB) channels, as the file held it.
/// </summary>
public sealed record RgbImage(int Width, int Height, int Channels, byte[] Pixels)
{
    public byte this[int y, int x, int c] => Pixels[(y * Width + x) * Channels + c];

    /// <summary>Throws unless the image has 1 or 3 channels, a positive size and exactly
    /// Width × Height × Channels bytes.</summary>
    /// <exception cref="UnitScopeException">BadImage.</exception>
    public void Validate()
    {
        if (Channels is not (1 or 3))
            throw new UnitScopeException(EngineErrorKind.BadImage, $"An image must have 1 or 3 channels, not {Channels}.");
        if (Width <= 0 || Height <= 0)
            throw new UnitScopeException(EngineErrorKind.BadImage, $"An image cannot be {Width}x{Height}.");
        if (Pixels is null || Pixels.Length != (long)Width * Height * Channels)
            throw new UnitScopeException(EngineErrorKind.BadImage,
                $"A {Width}x{Height}x{Channels} image needs {(long)Width * Height * Channels} bytes, not {Pixels?.Length ?? 0}.");
    }
}
