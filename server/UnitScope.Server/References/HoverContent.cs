using System.Text;
using UnitScope.Protocol;

namespace UnitScope.Server.References;

/// <summary>The markdown of a layer hover.</summary>
internal static class HoverContent
{
    public const int MaxListed = 12;

    public static string Markdown(LayerResolution resolution, ModelInfo model)
    {
        var byName = model.Layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var sb = new StringBuilder();
        if (resolution.Layers.Count == 1)
        {
            var layer = byName[resolution.Layers[0]];
            sb.Append($"**`{layer.Name}`**");
            if (!resolution.Exact) sb.Append($" (from `{resolution.Reference}`)");
            sb.Append(" — ").Append(Describe(layer)).Append("\n\n");
        }
        else
        {
            sb.Append($"**`{resolution.Reference}`** matches {resolution.Layers.Count} layers:\n\n");
            foreach (var name in resolution.Layers.Take(MaxListed))
                sb.Append($"- `{name}` — {Describe(byName[name])}\n");
            if (resolution.Layers.Count > MaxListed)
                sb.Append($"- … and {resolution.Layers.Count - MaxListed} more\n");
            sb.Append('\n');
        }
        sb.Append($"Model: {model.Architecture} · `{Path.GetFileName(model.Path)}`");
        return sb.ToString();
    }

    private static string Describe(LayerInfo layer) =>
        $"{layer.Kind}, {layer.Units} unit{(layer.Units == 1 ? "" : "s")}, output {string.Join('×', layer.OutputShape)}";
}
