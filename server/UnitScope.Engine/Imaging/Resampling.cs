using System.Globalization;

namespace UnitScope.Engine.Imaging;

/// <summary>
/// How an image is resized: torchvision's <c>InterpolationMode</c>s that its <c>Resize</c> hands to PIL
/// (<c>Image.Resampling</c>), computed as PIL does (<see cref="PilResample"/>). Bilinear is torchvision's default.
/// </summary>
public enum Resampling
{
    Bilinear,
    Nearest,
    Bicubic,
    Box,
    Hamming,
    Lanczos,
}

/// <summary>The names of <see cref="Resampling"/>s as torchvision spells them (<c>InterpolationMode.BICUBIC.value</c>).</summary>
public static class ResamplingNames
{
    static readonly (string Name, Resampling Value)[] All =
    [
        ("bilinear", Resampling.Bilinear), ("nearest", Resampling.Nearest), ("bicubic", Resampling.Bicubic),
        ("box", Resampling.Box), ("hamming", Resampling.Hamming), ("lanczos", Resampling.Lanczos),
    ];

    /// <summary>"bilinear, nearest, bicubic, box, hamming, lanczos".</summary>
    public static string Listed => string.Join(", ", All.Select(a => a.Name));

    public static string Name(this Resampling resampling) => All.First(a => a.Value == resampling).Name;

    /// <summary>"bicubic", "BICUBIC", "InterpolationMode.BICUBIC" → Bicubic; null when it names none.</summary>
    public static Resampling? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        string name = text.Trim().ToLower(CultureInfo.InvariantCulture);
        if (name.StartsWith("interpolationmode.", StringComparison.Ordinal)) name = name["interpolationmode.".Length..];
        foreach (var (n, v) in All)
            if (n == name) return v;
        return null;
    }
}
