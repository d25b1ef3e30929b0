using System.Globalization;
using System.Text;
using System.Text.Json;
using UnitScope.Protocol;
using E = UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Server.References;

/// <summary>The markdown of a layer hover.</summary>
internal static class HoverContent
{
    public const int MaxListed = 12;
    /// <summary>Labelled units named in a dissection hover, best IoU first.</summary>
    public const int TopUnits = 4;

    /// <summary>Commands the hover links to; the extension trusts exactly these in our hovers.</summary>
    public const string OpenDissectionCommand = "unitscope.openDissection";
    public const string DissectLayerCommand = "unitscope.dissectLayer";
    public const string AblateUnitsCommand = "unitscope.ablateUnits";
    public const string ShowUnitMapCommand = "unitscope.showUnitMap";
    public const string OpenUnitCardCommand = "unitscope.openUnitCard";
    public const string UnitGalleryCommand = "unitscope.unitGallery";

    /// <summary>The units a dissection hover names (and shows top images of): labelled ones, best IoU first.</summary>
    public static IReadOnlyList<int> TopLabelledUnits(E.LayerDissection d) =>
        d.Units.Where(u => u.Label is not null).OrderByDescending(u => u.Label!.Iou).ThenBy(u => u.Unit).Take(TopUnits).Select(u => u.Unit).ToList();

    /// <param name="dissectionOf">The layer's default dissection (the client's default dataset, default options), or null.</param>
    /// <param name="strips">Base64 PNGs of the top units' top images, by unit, when they could be rendered in time.</param>
    /// <param name="datasetLabel">"probe" for the built-in set, else the dataset folder's name.</param>
    /// <param name="dissecting">Whether a layer is being dissected now (its hover then says so instead of offering to dissect it).</param>
    /// <param name="receptiveFieldOf">A layer's receptive field in words, or null where it is not known (yet).</param>
    /// <param name="filtersOf">A base64 PNG of a layer's filters where they are pictures (the first convolution), else null.</param>
    /// <param name="comparisonOf">A line on how the layer moved in the last checkpoint comparison, or null.</param>
    public static string Markdown(LayerResolution resolution, ModelInfo model, Func<string, E.LayerDissection?>? dissectionOf = null,
        IReadOnlyDictionary<int, string>? strips = null, string datasetLabel = "probe", Func<string, bool>? dissecting = null,
        Func<string, string?>? receptiveFieldOf = null, Func<string, string?>? filtersOf = null, Func<string, string?>? comparisonOf = null)
    {
        var byName = model.Layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var sb = new StringBuilder();
        if (resolution.Layers.Count == 1)
        {
            var layer = byName[resolution.Layers[0]];
            sb.Append($"**`{layer.Name}`**");
            if (!resolution.Exact) sb.Append($" (from `{resolution.Reference}`)");
            sb.Append(" — ").Append(Describe(layer));
            if (layer.OutputShape.Count == 3 && receptiveFieldOf?.Invoke(layer.Name) is { } field)
                sb.Append($" · receptive field {Escape(field)}");
            sb.Append("\n\n");
            if (comparisonOf?.Invoke(layer.Name) is { } compared) sb.Append(compared).Append("\n\n");
            if (filtersOf?.Invoke(layer.Name) is { } filters)
                sb.Append($"![the {layer.Units} filters of {Escape(layer.Name)}](data:image/png;base64,{filters})\n\n");
            if (dissectionOf is not null && layer.OutputShape.Count == 3)
                AppendDissection(sb, model, layer, dissectionOf(layer.Name), strips, datasetLabel, dissecting?.Invoke(layer.Name) == true);
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

    /// <summary>
    /// "37/64 units labelled: 12 object, 9 color … Top: unit 12 *circle* (object) IoU 0.31, …" with
    /// links to the panel and to ablation; or a link to dissect the layer.
    /// </summary>
    private static void AppendDissection(StringBuilder sb, ModelInfo model, LayerInfo layer, E.LayerDissection? d,
        IReadOnlyDictionary<int, string>? strips, string datasetLabel, bool dissecting)
    {
        var args = CommandArguments(model.ModelId, layer.Name);
        var unitMaps = $"[Unit maps…](command:{ShowUnitMapCommand}?{args} \"A unit's activation over an image\")";
        var gallery = $"[Unit gallery…](command:{UnitGalleryCommand}?{args} \"A unit's strongest activations: patches and projections\")";
        if (d is null && dissecting)
        {
            sb.Append($"*Dissecting {Escape(layer.Name)} now* — hover again when it is done for its labelled units");
            sb.Append($" · {unitMaps} · {gallery}\n\n");
            return;
        }
        if (d is null)
        {
            sb.Append($"Not dissected yet — [Dissect {Escape(layer.Name)}](command:{DissectLayerCommand}?{args} \"Run network dissection on this layer\")");
            sb.Append($" · {unitMaps} · {gallery}\n\n");
            return;
        }
        var counts = d.LabelledByCategory.Where(c => c.Value > 0)
            .OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
            .Select(c => $"{c.Value} {Escape(c.Key)}")
            .ToList();
        var images = d.ImageCount.ToString(CultureInfo.InvariantCulture);
        sb.Append(datasetLabel == "probe" ? $"**Dissection** ({images} probe images): " : $"**Dissection** ({images} images of {Escape(datasetLabel)}): ");
        sb.Append($"{d.LabelledUnits}/{d.Units.Count} units labelled");
        sb.Append(counts.Count > 0 ? $": {string.Join(", ", counts)}" : $" (none above IoU {Number(d.Options.IouThreshold)})");
        var labelled = d.Units.Where(u => u.Label is not null)
            .OrderByDescending(u => u.Label!.Iou).ThenBy(u => u.Unit)
            .ToList();
        if (labelled.Count > 0)
        {
            sb.Append("  \nTop: ");
            sb.Append(string.Join(", ", labelled.Take(TopUnits).Select(u =>
                $"unit {u.Unit} *{Escape(u.Label!.Concept)}* ({Escape(u.Label.Category)}) IoU {Number(u.Label.Iou)}")));
            if (labelled.Count > TopUnits) sb.Append(", …");
        }
        sb.Append("\n\n");
        // The top units' top images, each opening the unit's card.
        var shown = labelled.Take(TopUnits).Where(u => strips?.ContainsKey(u.Unit) == true).ToList();
        if (shown.Count > 0)
        {
            sb.Append(string.Join(" ", shown.Select(u =>
                $"[![unit {u.Unit}: {Escape(u.Label!.Concept)}](data:image/png;base64,{strips![u.Unit]})]" +
                $"(command:{OpenUnitCardCommand}?{UnitArguments(model.ModelId, layer.Name, u.Unit)} \"Unit {u.Unit}: {Escape(u.Label!.Concept)}\")")));
            sb.Append("\n\n");
        }
        sb.Append($"[Open dissection](command:{OpenDissectionCommand}?{args} \"Show every unit of {Escape(layer.Name)}\")");
        sb.Append($" · [Ablate units…](command:{AblateUnitsCommand}?{args} \"Zero units of {Escape(layer.Name)} and measure the effect\")");
        sb.Append($" · {gallery} · {unitMaps}\n\n");
    }

    /// <summary>The URI-encoded arguments of a unit's command: [{modelId, layer, unit}].</summary>
    public static string UnitArguments(string modelId, string layer, int unit) =>
        Uri.EscapeDataString(JsonSerializer.Serialize(new[] { new { modelId, layer, unit } }));

    /// <summary>The URI-encoded JSON array VS Code passes to the command: one object {modelId, layer}.</summary>
    public static string CommandArguments(string modelId, string layer) =>
        Uri.EscapeDataString(JsonSerializer.Serialize(new[] { new Dictionary<string, string> { ["modelId"] = modelId, ["layer"] = layer } }));

    private static string Number(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>Backslash-escapes markdown punctuation, so names from a dataset cannot add links or markup.</summary>
    public static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '\r' or '\n') { sb.Append(' '); continue; }
            if ("\\`*_{}[]()<>#+-.!|~\"&".Contains(c)) sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    private static string Describe(LayerInfo layer) =>
        $"{layer.Kind}, {layer.Units} unit{(layer.Units == 1 ? "" : "s")}, output {string.Join('×', layer.OutputShape)}";
}
