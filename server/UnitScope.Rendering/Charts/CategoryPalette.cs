using System.Globalization;
using SkiaSharp;

namespace UnitScope.Rendering.Charts;

/// <summary>
/// The one place that says which colour a concept category has, in every chart, card and report:
/// Broden's categories and the built-in probe set's have fixed colours; any other category gets one
/// of the spare colours, chosen from its name, so it keeps its colour from run to run.
/// </summary>
public static class CategoryPalette
{
    /// <summary>Known categories in the order they are listed when counts tie (the paper's order first).</summary>
    static readonly (string Name, uint Rgb)[] Known =
    [
        ("object", 0x4E79A7),
        ("part", 0xF28E2B),
        ("material", 0x59A14F),
        ("scene", 0x76B7B2),
        ("texture", 0xB07AA1),
        ("color", 0xE15759),
        ("shape", 0xEDC948),
    ];

    static readonly uint[] Spare = [0x9C755F, 0xFF9DA7, 0x4B4B8F, 0x6B8E23, 0xC71585, 0x2F8F9D, 0xA0522D, 0x708090];

    /// <summary>For text and bars of units with no label.</summary>
    public static SKColor Unlabelled { get; } = new(0x99, 0x99, 0x99);

    public static SKColor ColorOf(string? category)
    {
        uint rgb = RgbOf(category);
        return new SKColor((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
    }

    /// <summary>The category's colour darkened for text on white (light colours such as shape's yellow stay readable).</summary>
    public static SKColor TextColorOf(string? category)
    {
        var c = ColorOf(category);
        return new SKColor((byte)(c.Red * 0.72), (byte)(c.Green * 0.72), (byte)(c.Blue * 0.72));
    }

    /// <summary>"#rrggbb", for HTML and CSS.</summary>
    public static string HexOf(string? category) => "#" + RgbOf(category).ToString("x6", CultureInfo.InvariantCulture);

    /// <summary>
    /// Categories by descending <paramref name="count"/>, ties in the known order, then by name.
    /// </summary>
    public static IReadOnlyList<string> Order(IEnumerable<string> categories, Func<string, int>? count = null) =>
        categories.Distinct(StringComparer.Ordinal)
            .OrderByDescending(c => count?.Invoke(c) ?? 0)
            .ThenBy(Rank)
            .ThenBy(c => c, StringComparer.Ordinal)
            .ToList();

    static int Rank(string category)
    {
        int i = Array.FindIndex(Known, k => string.Equals(k.Name, Canonical(category), StringComparison.Ordinal));
        return i < 0 ? Known.Length : i;
    }

    static uint RgbOf(string? category)
    {
        if (string.IsNullOrEmpty(category))
            return 0x999999;
        string name = Canonical(category);
        foreach (var (known, rgb) in Known)
            if (known == name)
                return rgb;
        // FNV-1a of the name: stable across runs and processes (string.GetHashCode is not).
        uint hash = 2166136261;
        foreach (char c in name)
            hash = (hash ^ c) * 16777619;
        return Spare[hash % (uint)Spare.Length];
    }

    /// <summary>"Colors", "COLOR" and "colour" are the same category here.</summary>
    static string Canonical(string category)
    {
        string c = category.Trim().ToLowerInvariant();
        if (c == "colour" || c == "colours") return "color";
        return c.Length > 1 && c.EndsWith('s') && Known.Any(k => k.Name == c[..^1]) ? c[..^1] : c;
    }
}
