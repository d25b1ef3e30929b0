using System.Globalization;
using System.Text.Json;
using UnitScope.Protocol;
using E = UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Server.References;

/// <summary>
/// The lenses of one layer definition: "37/64 units labelled" (opens the dissection) or
/// "64 units · not dissected", then "dissect" and "ablate"; "64 units · dissecting…" while a run
/// dissects it (no "dissect": a click would start a second run); for a block class's attribute that
/// names several layers, their totals and "dissect" for all of them.
/// </summary>
internal static class CodeLensContent
{
    public const string OpenDissectionCommand = HoverContent.OpenDissectionCommand;
    public const string DissectLayerCommand = HoverContent.DissectLayerCommand;
    public const string AblateUnitsCommand = HoverContent.AblateUnitsCommand;

    /// <summary>Module kinds without weights: a lens on every ReLU and pooling layer would drown the ones that matter.</summary>
    private static readonly string[] ParameterFreeKinds =
        ["ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Hardswish", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
         "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Dropout", "Dropout2d", "Flatten", "Identity", "Upsample"];

    public static bool WantsLens(LayerInfo layer) =>
        layer.Units > 0 && !ParameterFreeKinds.Contains(layer.Kind, StringComparer.OrdinalIgnoreCase);

    /// <param name="prefix">Set when several definitions share a line: "conv1: ".</param>
    /// <param name="dissectionOf">The layer's default dissection, or null.</param>
    /// <param name="dissecting">Whether a run is dissecting a layer now (on the default dataset).</param>
    public static IEnumerable<CodeLens> Lenses(LayerDefinition definition, ModelInfo model, Func<string, E.LayerDissection?> dissectionOf, string prefix = "",
        Func<string, bool>? dissecting = null)
    {
        bool Running(string layer) => dissecting?.Invoke(layer) == true;
        var byName = model.Layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var layers = definition.Resolution.Layers.Select(n => byName[n]).Where(WantsLens).ToList();
        var range = definition.Range;
        if (layers.Count == 0) yield break;

        if (layers.Count == 1)
        {
            var layer = layers[0];
            var args = Arguments(new { modelId = model.ModelId, layer = layer.Name });
            if (layer.OutputShape.Count != 3)
            {
                yield return Lens(range, $"{prefix}{Units(layer.Units)}", "", null);
            }
            else if (dissectionOf(layer.Name) is { } d)
            {
                yield return Lens(range, $"{prefix}{d.LabelledUnits}/{d.Units.Count} units labelled", OpenDissectionCommand, args);
                yield return Lens(range, "dissect", DissectLayerCommand, args);
            }
            else if (Running(layer.Name))
            {
                yield return Lens(range, $"{prefix}{Units(layer.Units)} · dissecting…", "", null);
            }
            else
            {
                yield return Lens(range, $"{prefix}{Units(layer.Units)} · not dissected", "", null);
                yield return Lens(range, "dissect", DissectLayerCommand, args);
            }
            yield return Lens(range, "ablate", AblateUnitsCommand, args);
            yield break;
        }

        // A block class's self.conv1: every layer it is (layer1.0.conv1, layer1.1.conv1, …).
        var spatial = layers.Where(l => l.OutputShape.Count == 3).Select(l => l.Name).ToList();
        var dissected = spatial.Select(dissectionOf).Where(d => d is not null).Select(d => d!).ToList();
        var title = $"{prefix}{layers.Count} layers";
        var running = spatial.Count(Running);
        var suffix = running == 0 ? "" : $" · {(running == spatial.Count ? "" : $"{running} ")}dissecting…";
        if (dissected.Count > 0)
        {
            var labelled = dissected.Sum(d => d.LabelledUnits);
            var units = dissected.Sum(d => d.Units.Count);
            title += $" · {labelled}/{units} units labelled" + (dissected.Count < spatial.Count ? $" in {dissected.Count}" : "") + suffix;
            yield return Lens(range, title, OpenDissectionCommand,
                Arguments(new { modelId = model.ModelId, layers = dissected.Select(d => d.Layer).ToArray() }));
        }
        else
        {
            yield return Lens(range, title + (running > 0 ? suffix : " · not dissected"), "", null);
        }
        // A run of some of them: "dissect" would start the rest, and the running ones again.
        if (spatial.Count > 0 && running == 0)
            yield return Lens(range, "dissect", DissectLayerCommand, Arguments(new { modelId = model.ModelId, layers = spatial.ToArray() }));
    }

    private static string Units(int n) => n.ToString(CultureInfo.InvariantCulture) + (n == 1 ? " unit" : " units");

    private static IReadOnlyList<JsonElement> Arguments(object argument) => [JsonSerializer.SerializeToElement(argument)];

    private static CodeLens Lens(Protocol.Range range, string title, string command, IReadOnlyList<JsonElement>? arguments) =>
        new(range, new LspCommand(title, command, arguments));
}
