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
/// <item>Inside a class that registers submodules, <c>self.</c>/<c>this.</c> references (and a C# class's
/// own fields) name that class's layers: the class is placed in the model by structure
/// (<see cref="ModelStructure"/>), at the root when it is the model, at every block it is otherwise
/// (a block class's <c>self.conv1</c> is <c>layer1.0.conv1</c>, <c>layer1.1.conv1</c>, …), and a class that is
/// no part of the model (a discriminator beside the generator) gets nothing.</item>
/// <item>Elsewhere, when the path is not a layer, layers ending with it match (<c>block.conv1</c>).</item>
/// </list>
/// </remarks>
internal static partial class LayerReferenceResolver
{
    private static readonly HashSet<string> SelfNames = ["self", "this", "base", "cls"];
    private static readonly HashSet<string> IndexedContainers = ["Sequential", "ModuleList"];
    private static readonly HashSet<string> NamedContainers = ["Sequential", "ModuleDict"];
    private static readonly HashSet<string> AddModuleMethods = ["add_module", "register_module"];

    public static LayerResolution? Resolve(string text, Position position, IReadOnlyCollection<LayerInfo> layers, SourceLanguage language)
    {
        var source = new TokenizedSource(text, language);
        var h = source.TokenAt(TextPositions.ToOffset(text, position));
        if (h < 0) return null;
        var context = new Context(source, Structure(layers));
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

    private static ModelStructure Structure(IReadOnlyCollection<LayerInfo> layers) => new(layers.Select(l => (l.Name, l.Kind)));

    /// <summary>A dotted path from the source, and whether it was reached through <c>self</c>/<c>this</c>.</summary>
    internal sealed record PathRef(string Path, bool ThroughSelf);

    internal sealed class Context
    {
        private readonly TokenizedSource src;
        private readonly ModelStructure _model;
        private readonly HashSet<string> _roots;
        private IReadOnlyList<(SourceClass Class, IReadOnlyList<string> Prefixes)>? _classes;

        public Context(TokenizedSource source, ModelStructure model)
        {
            src = source;
            _model = model;
            _roots = [.. model.Names.Select(n => n.Split('.')[0])];
        }

        /// <summary>Every class of the source and the prefixes it sits at in the model, found on first use.</summary>
        private IReadOnlyList<(SourceClass Class, IReadOnlyList<string> Prefixes)> Classes =>
            _classes ??= SourceClasses.Find(src, this).Select(c => (c, _model.PrefixesOf(c))).ToList();

        /// <summary>The innermost class around a token that registers submodules (one that registers none cannot be judged).</summary>
        private (SourceClass Class, IReadOnlyList<string> Prefixes)? ClassAt(int token)
        {
            (SourceClass Class, IReadOnlyList<string> Prefixes)? found = null;
            foreach (var c in Classes)
                if (c.Class.Contains(token) && c.Class.Entries.Count > 0 && (found is null || c.Class.BodyStart > found.Value.Class.BodyStart))
                    found = c;
            return found;
        }

        public LayerResolution? Match(PathRef reference, int tokenIndex)
        {
            var path = reference.Path;
            if (path.Length > 0 && ClassAt(tokenIndex) is var (owner, prefixes)
                && (reference.ThroughSelf || (src.Language == SourceLanguage.CSharp && owner.Attributes.Contains(path.Split('.')[0]))))
            {
                // Inside a class: its own submodules, wherever the class sits in the model; nothing when it is no part of it.
                var layers = prefixes.Select(p => p + path).Where(_model.Has).ToList();
                if (layers.Count == 0) return null;
                var exact = prefixes is [""];
                return new LayerResolution(path, layers, exact, null!);
            }
            var suffix = _model.Names.Where(n => n.EndsWith("." + path, StringComparison.Ordinal)).ToList();
            if (_model.Has(path)) return new LayerResolution(path, [path], true, null!);
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
    }
}
