using UnitScope.Protocol;
using UnitScope.Server.Documents;
using Range = UnitScope.Protocol.Range;

namespace UnitScope.Server.References;

/// <summary>A module construction in source that names layers of the model: where it is, and the layers.</summary>
/// <param name="Range">The constructor's name (<c>Conv2d</c> of <c>nn.Conv2d(…)</c>).</param>
internal sealed record LayerDefinition(Range Range, LayerResolution Resolution);

internal static partial class LayerReferenceResolver
{
    /// <summary>
    /// Every module construction whose position gives it a layer path of the model, in source order:
    /// a call to a capitalised name (<c>nn.Conv2d(…)</c>, <c>Conv2d(…)</c>, <c>new Linear(…)</c>)
    /// assigned to an attribute or field, or an entry of a Sequential/ModuleList/ModuleDict, a named
    /// tuple entry or an <c>add_module</c> argument — the same rules a hover on the constructor follows.
    /// </summary>
    public static IReadOnlyList<LayerDefinition> Definitions(string text, IReadOnlyCollection<LayerInfo> layers, SourceLanguage language)
    {
        var source = new TokenizedSource(text, language);
        var context = new Context(source, Structure(layers));
        var found = new List<LayerDefinition>();
        for (var i = 0; i < source.Count; i++)
        {
            var token = source[i];
            if (!token.IsIdentifier || !char.IsUpper(token.Text[0]) || !source.IsPunct(i + 1, "(")) continue;
            if (context.CalleeCall(i) is not var (start, end)) continue;
            var reference = context.ExpressionPath(start, end, depth: 0);
            if (reference is null || reference.Path.Length == 0) continue;
            var result = context.Match(reference, i);
            if (result is null) continue;
            var range = new Range(TextPositions.ToPosition(text, token.Start), TextPositions.ToPosition(text, token.End));
            found.Add(new LayerDefinition(range, result with { Range = range }));
        }
        return found;
    }
}
