using System.Text.RegularExpressions;

namespace UnitScope.Server.References;

/// <summary>
/// A submodule a class's code registers: its path below the class (<c>conv1</c>, <c>features.3</c>), the
/// constructor's name when it is a call (<c>Conv2d</c>, <c>conv3x3</c>, <c>BasicBlock</c>), and whether a model
/// built from this class must have it (a torch module with weights, a container, a class of this file) or
/// may lack it (an activation or pooling layer an ONNX export drops, a helper call that may return anything).
/// </summary>
internal sealed record ModuleEntry(string Path, string? Kind, bool Required);

/// <summary>
/// A class in the source (Python or C#): its body's tokens, the submodules it constructs, every attribute
/// name it assigns or declares (<c>self.x = …</c>, fields, <c>add_module("x", …)</c>), and whether it also
/// registers submodules under names computed at run time (then the model may have children it never names).
/// </summary>
internal sealed record SourceClass(string Name, int BodyStart, int BodyEnd, IReadOnlyList<ModuleEntry> Entries,
    IReadOnlySet<string> Attributes, bool Dynamic)
{
    public bool Contains(int token) => token >= BodyStart && token <= BodyEnd;
}

/// <summary>Torch module kinds as a family, so PyTorch's, TorchSharp's and ONNX's names of one kind compare equal.</summary>
internal static partial class ModuleKinds
{
    /// <summary>
    /// Modules without weights that pass their input on: an ONNX export drops or renames them (dropout in eval,
    /// functional ReLUs), so a class may name one the model lacks.
    /// </summary>
    [GeneratedRegex("relu|elu|gelu|silu|sigmoid|tanh|swish|mish|softmax|dropout|pool|identity|flatten|pad|upsample|shuffle", RegexOptions.IgnoreCase)]
    private static partial Regex PassThroughPattern();

    public static bool IsPassThrough(string kind) => PassThroughPattern().IsMatch(kind);

    /// <summary>The family of a module kind with weights or children, or null when the name does not say.</summary>
    public static string? Family(string? kind)
    {
        if (string.IsNullOrEmpty(kind)) return null;
        var k = kind.ToLowerInvariant();
        if (k.StartsWith("convtranspose", StringComparison.Ordinal)) return "convtranspose";
        if (k.StartsWith("conv", StringComparison.Ordinal) && (k.Length == 4 || k[4..] is "1d" or "2d" or "3d")) return "conv";
        if (k is "linear" or "gemm" or "matmul" or "bilinear") return "linear";
        if (k.StartsWith("batchnorm", StringComparison.Ordinal)) return "batchnorm";
        if (k.StartsWith("instancenorm", StringComparison.Ordinal)) return "instancenorm";
        if (k is "layernorm" or "layernormalization") return "layernorm";
        if (k is "groupnorm" or "groupnormalization") return "groupnorm";
        if (k is "embedding" or "embeddingbag") return "embedding";
        if (k is "lstm" or "gru" or "rnn") return k;
        if (k is "sequential" or "modulelist" or "moduledict" or "block") return "container";
        return null;
    }

    /// <summary>
    /// False when the kinds are known to differ: two families (a ConvTranspose2d is no Conv2d), or one with
    /// weights and one that passes its input on (a Linear is no Dropout).
    /// </summary>
    public static bool Compatible(string? source, string catalog)
    {
        var a = Family(source);
        var b = Family(catalog);
        if (a is not null && b is not null) return a == b;
        if (a is not null) return !IsPassThrough(catalog);
        if (b is not null) return source is null || !IsPassThrough(source);
        return true;
    }
}

/// <summary>
/// Finds the classes of a tokenized source and what each registers as submodules, with the resolver's rules
/// for where a module construction stands (<see cref="LayerReferenceResolver.Context.ExpressionPath"/>).
/// </summary>
internal static class SourceClasses
{
    private static readonly HashSet<string> RegisterMethods = ["add_module", "register_module", "setattr", "__setattr__"];

    public static IReadOnlyList<SourceClass> Find(TokenizedSource src, LayerReferenceResolver.Context context)
    {
        var spans = src.Language == SourceLanguage.Python ? PythonSpans(src) : CSharpSpans(src);
        var names = spans.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var classes = new List<SourceClass>();
        foreach (var span in spans)
        {
            // Tokens of a nested class belong to it, not to this one.
            bool Own(int i) => !spans.Any(o => o != span && o.Start > span.Start && o.Start <= i && i <= o.End);
            var attributes = new HashSet<string>(StringComparer.Ordinal);
            var fieldKinds = new Dictionary<string, string?>(StringComparer.Ordinal);
            var dynamic = false;
            if (src.Language == SourceLanguage.CSharp)
                foreach (var (field, type) in CSharpFields(src, span))
                {
                    attributes.Add(field);
                    fieldKinds[field] = type;
                }

            var entries = new Dictionary<string, ModuleEntry>(StringComparer.Ordinal);
            for (var i = span.Start; i <= span.End; i++)
            {
                if (!Own(i)) continue;
                // self.x = …  /  this.x = …  /  self.x: T = …
                if (src.IsIdentifier(i) && src[i].Text is "self" or "this" && src.IsPunct(i + 1, ".") && src.IsIdentifier(i + 2)
                    && (src.IsPunct(i + 3, "=") || src.IsPunct(i + 3, ":")) && !src.IsPunct(i - 1, "."))
                    attributes.Add(src[i + 2].Text);
                if (!src.IsIdentifier(i) || !src.IsPunct(i + 1, "(")) continue;
                var callee = src[i].Text;
                if (RegisterMethods.Contains(callee))
                {
                    var first = callee == "setattr" ? i + 4 : i + 2; // setattr(self, "x", m)
                    if (src.IsKind(first, TokenKind.String) && src.IsPunct(first + 1, ",")) attributes.Add(src[first].Text);
                    else dynamic = true;
                    continue;
                }
                if (context.CalleeCall(i) is not var (start, end)) continue;
                var path = context.ExpressionPath(start, end, depth: 0);
                if (path is null || path.Path.Length == 0) continue;
                var root = path.Path.Split('.')[0];
                if (!path.ThroughSelf && !(src.Language == SourceLanguage.CSharp && attributes.Contains(root))) continue;
                attributes.Add(root);
                var qualifiedByNn = src.IsPunct(i - 1, ".") && src[i - 2].Text == "nn";
                var required = !ModuleKinds.IsPassThrough(callee)
                    && (ModuleKinds.Family(callee) is not null || names.Contains(callee) || (qualifiedByNn && char.IsUpper(callee[0])));
                entries[path.Path] = new ModuleEntry(path.Path, callee, required);
            }
            // A TorchSharp field of a module type is a submodule even when its value comes from elsewhere.
            foreach (var (field, type) in fieldKinds)
            {
                if (entries.ContainsKey(field) || type is null) continue;
                if (type is "Module" || (ModuleKinds.Family(type) is not null && !ModuleKinds.IsPassThrough(type)) || names.Contains(type))
                    entries[field] = new ModuleEntry(field, type == "Module" ? null : type, true);
            }
            classes.Add(new SourceClass(span.Name, span.Start, span.End, [.. entries.Values], attributes, dynamic));
        }
        return classes;
    }

    private sealed record Span(string Name, int Start, int End);

    /// <summary>"class Name…:" first on its line, its body every following line indented deeper.</summary>
    private static List<Span> PythonSpans(TokenizedSource src)
    {
        var spans = new List<Span>();
        for (var i = 0; i + 1 < src.Count; i++)
        {
            if (!(src.IsIdentifier(i) && src[i].Text == "class" && src.IsIdentifier(i + 1))) continue;
            if (i > 0 && src[i - 1].Line == src[i].Line) continue;
            var line = src[i].Line;
            var indent = src.Indent(line);
            var end = src.Count - 1;
            for (var j = i + 2; j < src.Count; j++)
            {
                if (src[j].Line == line || src[j - 1].Line == src[j].Line) continue;
                var li = src.Indent(src[j].Line);
                if (li >= 0 && li <= indent && src.Parent[j] < 0) { end = j - 1; break; }
            }
            spans.Add(new Span(src[i + 1].Text, i + 2, end));
        }
        return spans;
    }

    /// <summary>"class/record/struct Name … { … }": the tokens between the braces.</summary>
    private static List<Span> CSharpSpans(TokenizedSource src)
    {
        var spans = new List<Span>();
        for (var i = 0; i + 1 < src.Count; i++)
        {
            if (!(src.IsIdentifier(i) && src[i].Text is "class" or "record" or "struct" && src.IsIdentifier(i + 1))) continue;
            var j = i + 2;
            while (j < src.Count && !(src.IsPunct(j, "{") && src.Parent[j] == src.Parent[i]) && !(src.IsPunct(j, ";") && src.Parent[j] == src.Parent[i])) j++;
            if (!src.IsPunct(j, "{")) continue;
            spans.Add(new Span(src[i + 1].Text, j + 1, src.Match[j] - 1));
        }
        return spans;
    }

    /// <summary>Fields directly in a C# class body (Type name; Type a, b; Type name = …;), with the type's last name, null for value types.</summary>
    private static IEnumerable<(string Name, string? Type)> CSharpFields(TokenizedSource src, Span span)
    {
        var body = span.Start - 1;
        for (var i = span.Start; i <= span.End; i++)
        {
            if (src.Parent[i] != body || !src.IsIdentifier(i)) continue;
            if (!(src.IsPunct(i + 1, ";") || src.IsPunct(i + 1, "=") || src.IsPunct(i + 1, ","))) continue;
            // Walk back over "a, b, " to the type.
            var j = i - 1;
            while (src.IsPunct(j, ",") && src.IsIdentifier(j - 1)) j -= 2;
            if (src.IsPunct(j, "?")) j--;
            string? type;
            if (src.IsPunct(j, ">"))
            {
                // Module<Tensor, Tensor>: the generic's name.
                var depth = 0;
                while (j >= 0)
                {
                    if (src.IsPunct(j, ">")) depth++;
                    else if (src.IsPunct(j, "<") && --depth == 0) break;
                    j--;
                }
                type = src.IsIdentifier(j - 1) ? src[j - 1].Text : null;
            }
            else if (src.IsIdentifier(j) && src[j].Text is not ("return" or "new" or "var"))
            {
                type = src[j].Text;
            }
            else
            {
                continue;
            }
            if (type is null || !char.IsUpper(type[0]) || type is "String" or "Tensor" or "Random" or "Device") type = null;
            yield return (src[i].Text, type);
        }
    }
}
