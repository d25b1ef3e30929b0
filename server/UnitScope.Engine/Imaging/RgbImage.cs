namespace UnitScope.Engine.Imaging;

/// <summary>
/// A decoded 8-bit image, interleaved (HWC), with 1 (gray) or 3 (RGB) channels, as the file held it.
/// </summary>
public sealed record RgbImage(int Width, int Height, int Channels, byte[] Pixels)
{
    public byte this[int y, int x, int c] => Pixels[(y * Width + x) * Channels + c];
}
