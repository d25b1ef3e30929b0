using System.Globalization;

namespace UnitScope.Engine.Imaging;

/// <summary>
/// How large an image may be, checked from its header before anything is decoded: a 1 MB PNG can say
/// 20000 × 20000, and decoding it takes 1.6 GB and a minute. PIL refuses twice its <c>MAX_IMAGE_PIXELS</c>
/// (about 179 M pixels); a CNN sees a few hundred pixels a side, so the default here is 64 M pixels
/// (8192 × 8192, more than any camera's photo). <c>UNITSCOPE_MAX_IMAGE_PIXELS</c> sets it for a process
/// (the extension's <c>unitscope.maxImagePixels</c> sets it for the daemon it starts); <c>--max-image-pixels</c>
/// for one command (<see cref="Use"/>).
/// </summary>
public static class ImageLimits
{
    public const long DefaultMaxPixels = 64L << 20;

    /// <summary>The environment variable that sets <see cref="MaxPixels"/> for a process.</summary>
    public const string EnvironmentVariable = "UNITSCOPE_MAX_IMAGE_PIXELS";

    /// <summary>
    /// Past this many pixels an image whose analysis needs only the model's input size is decoded at a reduced
    /// scale where the format allows (JPEG: 1/2, 1/4, 1/8), never below twice the size it is resized to.
    /// Below it images are decoded whole, as PIL does, so ordinary photos give PIL's pixels exactly.
    /// </summary>
    public const long LargePixels = 16L << 20;

    static readonly long ProcessMaxPixels = FromEnvironment();
    static readonly AsyncLocal<long?> Scoped = new();

    /// <summary>The most pixels (width × height) an image may have: <see cref="Use"/>'s value, else the environment's, else the default.</summary>
    public static long MaxPixels => Scoped.Value ?? ProcessMaxPixels;

    /// <summary>Sets <see cref="MaxPixels"/> for the calling flow (a command, the daemon) until disposed.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument: not a positive number.</exception>
    public static IDisposable Use(long maxPixels)
    {
        if (maxPixels < 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The image pixel limit must be a positive number of pixels; got {maxPixels}.");
        var previous = Scoped.Value;
        Scoped.Value = maxPixels;
        return new Restore(previous);
    }

    sealed class Restore(long? previous) : IDisposable
    {
        public void Dispose() => Scoped.Value = previous;
    }

    static long FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 ? value : DefaultMaxPixels;
    }
}

/// <summary>
/// The size an analysis resizes a whole image to (the model's input, or the shorter side of its description's
/// resize): a large image may be decoded at a reduced scale, down to twice this, instead of whole.
/// </summary>
/// <param name="MinWidth">The decoded width is kept at least twice this.</param>
/// <param name="MinHeight">The decoded height is kept at least twice this.</param>
/// <param name="MinShorterSide">The decoded shorter side is kept at least twice this (a resize that keeps the aspect ratio).</param>
public sealed record ImageDecodeHint(int MinWidth = 0, int MinHeight = 0, int MinShorterSide = 0)
{
    /// <summary>Whether a decode of <paramref name="width"/> × <paramref name="height"/> keeps the margin.</summary>
    public bool Allows(int width, int height) =>
        width >= 2L * MinWidth && height >= 2L * MinHeight && Math.Min(width, height) >= 2L * MinShorterSide;
}
