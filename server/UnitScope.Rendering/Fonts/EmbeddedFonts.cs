using SkiaSharp;

namespace UnitScope.Rendering.Fonts;

/// <summary>
/// The typeface every chart and card draws text with: DejaVu Sans, embedded in this assembly, so
/// text renders the same on any machine, including one with no fonts installed (Skia's
/// NoDependencies build finds no system fonts). Licence: Fonts/LICENSE-DejaVu.txt.
/// </summary>
public static class EmbeddedFonts
{
    const string ResourceName = "UnitScope.Rendering.Fonts.DejaVuSans.ttf";

    static readonly Lazy<SKTypeface> Sans = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>DejaVu Sans (regular). Shared: do not dispose.</summary>
    public static SKTypeface Regular => Sans.Value;

    /// <summary>A font of <paramref name="size"/> pixels; <paramref name="bold"/> emboldens the outlines (DejaVu Sans Bold is not embedded).</summary>
    public static SKFont Font(float size, bool bold = false) => new(Regular, size)
    {
        Embolden = bold,
        Edging = SKFontEdging.Antialias,
        Subpixel = true,
        Hinting = SKFontHinting.Normal,
    };

    static SKTypeface Load()
    {
        using var stream = typeof(EmbeddedFonts).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded font {ResourceName} is missing from {typeof(EmbeddedFonts).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        using var data = SKData.CreateCopy(copy.ToArray());
        return SKTypeface.FromData(data)
            ?? throw new InvalidOperationException($"Skia could not read the embedded font {ResourceName}.");
    }
}
