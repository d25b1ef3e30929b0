using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>One group's share of a layer's positive activation (over the graph's images).</summary>
public sealed record ExplainedPart(string Group, double Share);

/// <summary>
/// "How much is explained" for one layer (the seed's "90% explained: 83% parts, 7% texture, 10% not"): the share of
/// the layer's positive activation that the graph's nodes account for, split by the dissection label of the filter
/// each node belongs to (<see cref="GraphExplanation.GroupOf"/>), and what is left unexplained.
/// </summary>
public sealed record LayerExplanation(string Layer, double Explained, IReadOnlyList<ExplainedPart> ByGroup, double Unexplained,
    /// <summary>Which dissection the labels come from (null: the layer has none stored, so every filter is "unlabelled").</summary>
    string? LabelSource);

public static class GraphExplanation
{
    /// <summary>Groups in the order they are reported.</summary>
    public static readonly IReadOnlyList<string> Groups = ["parts", "texture", "scene", "unlabelled"];

    /// <summary>A dissection category's group: object and part → parts; texture, material and colour → texture; scene;
    /// no label → unlabelled.</summary>
    public static string GroupOf(ConceptScore? label) => label?.Category.ToLowerInvariant() switch
    {
        null => "unlabelled",
        "object" or "part" => "parts",
        "texture" or "material" or "color" or "colour" => "texture",
        "scene" => "scene",
        _ => "unlabelled",
    };

    /// <summary>The layer's explanation with <paramref name="labels"/> (filter → label; empty when not dissected).</summary>
    public static LayerExplanation For(GraphLayer layer, IReadOnlyDictionary<int, ConceptScore> labels, string? labelSource)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(labels);
        double all = layer.FilterEnergy.Sum();
        var shares = Groups.ToDictionary(g => g, _ => 0.0);
        for (int f = 0; f < layer.FilterExplained.Count; f++)
            shares[GroupOf(labels.GetValueOrDefault(f))] += all > 0 ? layer.FilterExplained[f] / all : 0;
        return new LayerExplanation(layer.Name, layer.ExplainedShare, [.. Groups.Select(g => new ExplainedPart(g, shares[g]))],
            1 - layer.ExplainedShare, labelSource);
    }
}
