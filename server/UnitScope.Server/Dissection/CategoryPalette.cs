namespace UnitScope.Server.Dissection;

/// <summary>
/// Category colours for clients, used while the rendering library has no palette of its own to
/// share: Broden's categories get fixed colours, any other category one picked by a stable hash.
/// </summary>
internal static class CategoryPalette
{
    private static readonly Dictionary<string, string> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["object"] = "#4e79a7",
        ["part"] = "#f28e2b",
        ["scene"] = "#59a14f",
        ["material"] = "#b07aa1",
        ["texture"] = "#edc948",
        ["color"] = "#e15759",
        ["shape"] = "#76b7b2",
    };

    private static readonly string[] Others = ["#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295", "#a0cbe8"];

    public static string Color(string category)
    {
        if (Known.TryGetValue(category, out var color)) return color;
        var hash = 0u;
        foreach (var c in category.ToLowerInvariant()) hash = hash * 31 + c;
        return Others[hash % (uint)Others.Length];
    }
}
