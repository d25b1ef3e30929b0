using UnitScope.Protocol;
using UnitScope.Server.Documents;
using Range = UnitScope.Protocol.Range;

namespace UnitScope.Server.References;

/// <summary>
/// What a hover resolved to: the layer path the source spells (<see cref="Reference"/>), the model's
/// layers it names (one when <see cref="Exact"/>; otherwise every layer ending with it), and the
/// hovered token's range.
/// </summary>
internal sealed record LayerResolution(string Reference, IReadOnlyList<string> Layers, bool Exact, Range Range);

/// <summary>
/// Finds the layer reference under the cursor in Python (PyTorch) or C# (TorchSharp) source and
/// resolves it against a model's dotted layer names. Pure: text + position + names in, answer out.
/// </summary>
/// <remarks>
/// What it understands:
/// <list type="bullet">
/// <item>Attribute/index chains: <c>self.conv1</c>, <c>model.layer4[1].conv2</c>, <c>features[28]</c>;
/// hovering a segment resolves the chain up to it. The root variable is dropped (<c>self</c>,
/// <c>this</c>, or any identifier that is not a top-level layer name), and so is DataParallel's <c>module</c>.</item>
/// <item>Module constructions: the callee of <c>self.conv1 = nn.Conv2d(…)</c> is <c>conv1</c>; the k-th
/// module argument of <c>nn.Sequential(…)</c> / <c>nn.ModuleList([…])</c> is <c>name.k</c>;
/// <c>("conv1", nn.Conv2d(…))</c> entries (OrderedDict, TorchSharp Sequential), <c>add_module("x", …)</c>,
/// <c>register_module("x", …)</c> and <c>ModuleDict({"x": …})</c> entries are <c>name.x</c>.</item>
/// <item>When the path is not a layer, layers ending with it match (a block class's <c>self.conv1</c>
/// matches <c>layer1.0.conv1</c>, …). Inside a class that is evidently a submodule (it assigns
/// modules that are not top-level layers), <c>self.</c> references prefer those suffix matches even
/// when a top-level layer has the same name.</item>
/// </list>
/// </remarks>
internal static partial class LayerReferenceResolver
{
    private static readonly HashSet<string> SelfNames = ["self", "this", "base", "cls"];
    private static readonly HashSet<string> IndexedContainers = ["Sequential", "ModuleList"];
    private static readonly HashSet<string> NamedContainers = ["Sequential", "ModuleDict"];
    private static readonly HashSet<string> AddModuleMethods = ["add_module", "register_module"];
    private static readonly HashSet<string> CSharpValueTypes =
        ["int", "long", "float", "double", "bool", "string", "char", "byte", "short", "uint", "ulong", "decimal", "object", "var", "void"];

    public static LayerResolution? Resolve(string text, Position position, IReadOnlyCollection<string> layerNames, SourceLanguage language)
    {
        var source = new TokenizedSource(text, language);
        var h = source.TokenAt(TextPositions.ToOffset(text, position));
        if (h < 0) return null;
        var context = new Context(source, layerNames);
        var token = source[h];
        var range = new Range(TextPositions.ToPosition(text, token.Start), TextPositions.ToPosition(text, token.End));

        PathRef? reference = token.Kind switch
        {
            TokenKind.Identifier or TokenKind.Number => context.ChainPath(h),
            TokenKind.String => context.NamePath(h),
            _ => null,
        };
        var result = reference is null ? null : context.Match(reference, h);
        if (result is null && token.Kind is TokenKind.Identifier or TokenKind.Number && context.CalleeCall(h) is var (start, end))
        {
            reference = context.ExpressionPath(start, end, depth: 0);
            result = reference is null ? null : context.Match(reference, h);
        }
        return result is null ? null : result with { Range = range };
    }

    /// <summary>A dotted path from the source, and whether it was reached through <c>self</c>/<c>this</c>.</summary>
    private sealed record PathRef(string Path, bool ThroughSelf);

    private sealed class Context(TokenizedSource src, IReadOnlyCollection<string> layerNames)
    {
        private readonly HashSet<string> _names = [.. layerNames];
        private readonly HashSet<string> _roots = [.. layerNames.Select(n => n.Split('.')[0])];

        public LayerResolution? Match(PathRef reference, int tokenIndex)
        {
            var path = reference.Path;
            var suffix = layerNames.Where(n => n.EndsWith("." + path, StringComparison.Ordinal)).ToList();
            var exact = _names.Contains(path);
            if (exact && suffix.Count > 0 && reference.ThroughSelf && InSubmoduleClass(tokenIndex))
                return new LayerResolution(path, suffix, false, null!);
            if (exact) return new LayerResolution(path, [path], true, null!);
            return suffix.Count > 0 ? new LayerResolution(path, suffix, false, null!) : null;
        }

        // ---- chains: a.b[1].c --------------------------------------------------------------

        private sealed record Segment(string Name, bool IsIndex);

        /// <summary>The chain ending at the hovered identifier or index, as a path.</summary>
        public PathRef? ChainPath(int h)
        {
            int last;
            if (src[h].Kind == TokenKind.Number)
            {
                if (!src.IsPunct(h - 1, "[") || !src.IsPunct(h + 1, "]")) return null;
                last = h + 1;
            }
            else
            {
                last = h;
            }
            var chain = ChainEndingAt(last);
            return chain is null ? null : Normalize(chain.Value.Segments, chain.Value.UnknownRoot);
        }

        /// <summary>
        /// The segments of the access chain whose last token is <paramref name="last"/> (an identifier
        /// or the ']' of a numeric index), and the index of its first token.
        /// </summary>
        private (List<Segment> Segments, int Start, bool UnknownRoot)? ChainEndingAt(int last)
        {
            var segments = new List<Segment>();
            var i = last;
            var unknownRoot = false;
            while (true)
            {
                int segmentStart;
                if (src.IsIdentifier(i))
                {
                    segments.Insert(0, new Segment(src[i].Text, false));
                    segmentStart = i;
                }
                else if (src.IsPunct(i, "]") && src.IsKind(i - 1, TokenKind.Number) && src.IsPunct(i - 2, "["))
                {
                    segments.Insert(0, new Segment(src[i - 1].Text, true));
                    segmentStart = i - 2;
                }
                else
                {
                    return null;
                }

                var before = segmentStart - 1;
                if (segments[0].IsIndex)
                {
                    // a[1]: the index follows an identifier, another index, or a call.
                    if (src.IsIdentifier(before) || src.IsPunct(before, "]")) { i = before; continue; }
                    if (src.IsPunct(before, ")")) { unknownRoot = true; return (segments, segmentStart, unknownRoot); }
                    return null; // a list literal, not an access
                }
                if (src.IsPunct(before, ".") || src.IsPunct(before, "?."))
                {
                    if (src.IsIdentifier(before - 1) || src.IsPunct(before - 1, "]")) { i = before - 1; continue; }
                    unknownRoot = true; // call().x, "str".x …
                }
                return (segments, segmentStart, unknownRoot);
            }
        }

        private PathRef? Normalize(List<Segment> segments, bool unknownRoot)
        {
            var names = segments.ToList();
            var throughSelf = false;
            if (!unknownRoot && names.Count > 0 && !names[0].IsIndex)
            {
                if (SelfNames.Contains(names[0].Name))
                {
                    names.RemoveAt(0);
                    throughSelf = true;
                }
                else if (names.Count > 1 && !_roots.Contains(names[0].Name))
                {
                    names.RemoveAt(0);
                }
            }
            while (names.Count > 1 && names[0] is { Name: "module", IsIndex: false } && !_roots.Contains("module"))
                names.RemoveAt(0);
            if (names.Count == 0 || names[0].IsIndex) return null;
            return new PathRef(string.Join('.', names.Select(n => n.Name)), throughSelf);
        }

        // ---- module constructions ------------------------------------------------------------

        /// <summary>When the hovered token is in the callee of a call, the call's first and last tokens.</summary>
        public (int Start, int End)? CalleeCall(int h)
        {
            var last = src[h].Kind == TokenKind.Number ? h + 1 : h;
            // Extend right over .name and [n] to the end of the callee.
            var k = last + 1;
            while (true)
            {
                if ((src.IsPunct(k, ".") || src.IsPunct(k, "?.")) && src.IsIdentifier(k + 1)) { k += 2; continue; }
                if (src.IsPunct(k, "[") && src.IsKind(k + 1, TokenKind.Number) && src.IsPunct(k + 2, "]")) { k += 3; continue; }
                break;
            }
            if (!src.IsPunct(k, "(")) return null;
            var chain = ChainEndingAt(k - 1);
            return chain is null ? null : (chain.Value.Start, src.Match[k]);
        }

        /// <summary>
        /// The layer path a module expression (tokens start..end) gets from where it stands: assigned to
        /// a chain, the k-th module of a Sequential/ModuleList, a named entry, an add_module argument.
        /// </summary>
        public PathRef? ExpressionPath(int start, int end, int depth)
        {
            if (depth > 16) return null;
            var before = start - 1;
            if (src.IsIdentifier(before) && src[before].Text == "new") before--;

            if (src.IsPunct(before, "="))
            {
                var target = ChainEndingAt(before - 1);
                return target is null ? null : Normalize(target.Value.Segments, target.Value.UnknownRoot);
            }

            var p = src.Parent[start];
            if (p < 0) return null;

            // ModuleDict({"name": module})
            if (src.IsPunct(before, ":") && src.IsKind(before - 1, TokenKind.String) && src.IsPunct(p, "{"))
                return DictEntryPath(p, src[before - 1].Text, depth);

            if (!(src.IsPunct(before, "(") || src.IsPunct(before, ",") || src.IsPunct(before, "["))) return null;
            if (!(src.IsPunct(end + 1, ",") || src.IsPunct(end + 1, ")") || src.IsPunct(end + 1, "]"))) return null;
            var k = ElementIndex(p, start);

            if (src.IsPunct(p, "("))
            {
                var callee = CalleeName(p);
                if (callee is not null && IndexedContainers.Contains(callee))
                    return Join(ContainerPath(p, depth), k.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (callee is not null && AddModuleMethods.Contains(callee) && k == 1 && FirstElementString(p) is { } added)
                    return Join(ReceiverPath(p), added);
                if (callee is null && k == 1 && FirstElementString(p) is { } named)
                    return NamedEntryPath(p, named, depth);
                return null;
            }
            if (src.IsPunct(p, "["))
            {
                var q = src.Parent[p];
                if (src.IsPunct(q, "(") && q == p - 1 && CalleeName(q) is { } container && IndexedContainers.Contains(container))
                    return Join(ContainerPath(q, depth), k.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            return null;
        }

        /// <summary>The path a string literal names: a tuple entry's name, add_module's name, a dict key.</summary>
        public PathRef? NamePath(int h)
        {
            var name = src[h].Text;
            var p = src.Parent[h];
            if (p < 0) return null;
            if (src.IsPunct(p, "(") && p == h - 1 && src.IsPunct(h + 1, ","))
            {
                var callee = CalleeName(p);
                if (callee is not null && AddModuleMethods.Contains(callee)) return Join(ReceiverPath(p), name);
                if (callee is null) return NamedEntryPath(p, name, 0);
                return null;
            }
            if (src.IsPunct(p, "{") && src.IsPunct(h + 1, ":"))
                return DictEntryPath(p, name, 0);
            return null;
        }

        /// <summary>("name", module) inside Sequential(...) (TorchSharp) or OrderedDict([...]) inside Sequential/ModuleDict.</summary>
        private PathRef? NamedEntryPath(int tupleOpen, string name, int depth)
        {
            var q = src.Parent[tupleOpen];
            if (src.IsPunct(q, "(") && CalleeName(q) is { } callee && NamedContainers.Contains(callee))
                return Join(ContainerPath(q, depth), name);
            if (src.IsPunct(q, "[") && src.Parent[q] is var r && src.IsPunct(r, "(") && CalleeName(r) == "OrderedDict")
            {
                var s = src.Parent[r];
                if (src.IsPunct(s, "(") && CalleeName(s) is { } outer && NamedContainers.Contains(outer))
                    return Join(ContainerPath(s, depth), name);
                // An OrderedDict kept in a variable is usually passed to a Sequential later: match by name.
                return new PathRef(name, false);
            }
            return new PathRef(name, false);
        }

        private PathRef? DictEntryPath(int braceOpen, string name, int depth)
        {
            var q = src.Parent[braceOpen];
            if (src.IsPunct(q, "(") && q == braceOpen - 1 && CalleeName(q) is { } callee && NamedContainers.Contains(callee))
                return Join(ContainerPath(q, depth), name);
            return null;
        }

        /// <summary>The path of the container call whose '(' is at <paramref name="open"/>.</summary>
        private PathRef? ContainerPath(int open, int depth) => ExpressionPath(CallStart(open), src.Match[open], depth + 1);

        /// <summary>For x.add_module(...): the path of x (empty for self).</summary>
        private PathRef? ReceiverPath(int open)
        {
            var chain = ChainEndingAt(open - 1);
            if (chain is null) return null;
            var segments = chain.Value.Segments;
            if (segments.Count <= 1) return new PathRef("", true);
            var receiver = segments.Take(segments.Count - 1).ToList();
            if (receiver.Count == 1 && SelfNames.Contains(receiver[0].Name)) return new PathRef("", true);
            return Normalize(receiver, chain.Value.UnknownRoot);
        }

        private int CallStart(int open) => ChainEndingAt(open - 1)?.Start ?? open;

        /// <summary>The last identifier of the callee before '(' at <paramref name="open"/>; null for a tuple or parenthesis.</summary>
        private string? CalleeName(int open) => src.IsIdentifier(open - 1) ? src[open - 1].Text : null;

        private int ElementIndex(int open, int position)
        {
            var k = 0;
            for (var i = open + 1; i < position; i++)
                if (src.Parent[i] == open && src.IsPunct(i, ",")) k++;
            return k;
        }

        private string? FirstElementString(int open) =>
            src.IsKind(open + 1, TokenKind.String) && src.IsPunct(open + 2, ",") ? src[open + 1].Text : null;

        private static PathRef? Join(PathRef? container, string name)
        {
            if (container is null)
                return int.TryParse(name, out _) ? null : new PathRef(name, false);
            return new PathRef(container.Path.Length == 0 ? name : $"{container.Path}.{name}", container.ThroughSelf);
        }

        // ---- enclosing class ------------------------------------------------------------------

        /// <summary>
        /// True when the class around the token assigns modules (self.x = call(...) / fields) of which
        /// some are not top-level layers: it is then a block used inside the model, not the model.
        /// </summary>
        private bool InSubmoduleClass(int tokenIndex)
        {
            var attributes = src.Language == SourceLanguage.Python ? PythonClassAttributes(tokenIndex) : CSharpClassAttributes(tokenIndex);
            return attributes is { Count: > 0 } && attributes.Any(a => !_roots.Contains(a));
        }

        private List<string>? PythonClassAttributes(int tokenIndex)
        {
            var line = src[tokenIndex].Line;
            var indent = src.Indent(line);
            if (indent < 0) indent = int.MaxValue;
            // Walk up to the nearest less-indented "class" line.
            int classLine = -1, classIndent = -1;
            for (var l = line - 1; l >= 0; l--)
            {
                var li = src.Indent(l);
                if (li < 0 || li >= indent) continue;
                indent = li;
                var first = src.Tokens.FirstOrDefault(t => t.Line == l);
                if (first.IsIdentifier && first.Text == "class") { classLine = l; classIndent = li; break; }
                if (li == 0) break;
            }
            if (classLine < 0) return null;
            var endLine = src.LineCount;
            for (var l = classLine + 1; l < src.LineCount; l++)
            {
                var li = src.Indent(l);
                if (li >= 0 && li <= classIndent) { endLine = l; break; }
            }
            var attributes = new List<string>();
            for (var i = 0; i + 4 < src.Count; i++)
            {
                var t = src[i];
                if (t.Line <= classLine || t.Line >= endLine) continue;
                if (t.IsIdentifier && t.Text == "self" && src.IsPunct(i + 1, ".") && src.IsIdentifier(i + 2) && src.IsPunct(i + 3, "=")
                    && IsCallAt(i + 4))
                    attributes.Add(src[i + 2].Text);
            }
            return attributes;
        }

        private List<string>? CSharpClassAttributes(int tokenIndex)
        {
            // The innermost '{' preceded (since the previous ';', '{' or '}') by class/record/struct.
            for (var p = src.Parent[tokenIndex]; p >= 0; p = src.Parent[p])
            {
                if (!src.IsPunct(p, "{")) continue;
                var isType = false;
                for (var j = p - 1; j >= 0 && !(src.IsPunct(j, ";") || src.IsPunct(j, "{") || src.IsPunct(j, "}")); j--)
                    if (src.IsIdentifier(j) && src[j].Text is "class" or "record" or "struct") { isType = true; break; }
                if (!isType) continue;

                var attributes = new List<string>();
                for (var i = p + 1; i < src.Match[p]; i++)
                {
                    // Fields: Type name; / Type name = ...; / Type a, b;  (directly in the class body)
                    if (src.Parent[i] == p && src.IsIdentifier(i) && (src.IsPunct(i + 1, ";") || src.IsPunct(i + 1, "=") || src.IsPunct(i + 1, ","))
                        && (src.IsIdentifier(i - 1) || src.IsPunct(i - 1, ">") || src.IsPunct(i - 1, ",") || src.IsPunct(i - 1, "?")))
                    {
                        if (FieldTypeIsValue(i)) continue;
                        attributes.Add(src[i].Text);
                    }
                    // this.name = Call(...)
                    if (src.IsIdentifier(i) && src[i].Text == "this" && src.IsPunct(i + 1, ".") && src.IsIdentifier(i + 2) && src.IsPunct(i + 3, "=") && IsCallAt(i + 4))
                        attributes.Add(src[i + 2].Text);
                }
                return attributes.Distinct().ToList();
            }
            return null;
        }

        /// <summary>A field declared with a value type (int x; string name;) is not a module.</summary>
        private bool FieldTypeIsValue(int nameIndex)
        {
            var j = nameIndex - 1;
            while (src.IsPunct(j, ",") || src.IsIdentifier(j) && !CSharpValueTypes.Contains(src[j].Text) && src.IsPunct(j - 1, ","))
                j--;
            if (src.IsPunct(j, "?")) j--;
            return src.IsIdentifier(j) && CSharpValueTypes.Contains(src[j].Text);
        }

        private bool IsCallAt(int i)
        {
            if (src.IsIdentifier(i) && src[i].Text == "new") i++;
            if (!src.IsIdentifier(i)) return false;
            while ((src.IsPunct(i + 1, ".") && src.IsIdentifier(i + 2))) i += 2;
            return src.IsPunct(i + 1, "(");
        }
    }
}
