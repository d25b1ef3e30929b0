using System.Text.RegularExpressions;
using P = global::Onnx;

namespace UnitScope.Engine.Onnx;

/// <summary>Where a module's output appears in the graph: output <paramref name="Output"/> of node <paramref name="Node"/>.</summary>
readonly record struct TapSite(int Node, int Output);

/// <summary>
/// One addressable module: its PyTorch path ("layer4.1.conv2"), kind (the ONNX op type of the node
/// that gives its output, or "Block" for a module with submodules), and the node outputs that
/// are its output, one per call of the module, in graph order.
/// </summary>
sealed record TapPlan(string Path, string Kind, IReadOnlyList<TapSite> Sites, int Depth);

/// <summary>
/// Recovers PyTorch module paths from node names. torch.onnx.export (the TorchScript exporter,
/// PyTorch 1.13+) names a node after the chain of module calls it ran in, one segment per call:
/// <c>/layer1/layer1.0/conv1/Conv</c>. Each segment is the module's name from its parent's
/// <c>named_modules()</c>, cut to start at its last non-numeric atom (<c>layer1.0</c>, <c>conv1</c>,
/// <c>downsample.0</c>), and a module called again gets <c>_1</c>, <c>_2</c>… (<c>relu_1</c>).
/// So the path is rebuilt segment by segment: a segment whose leading atoms end its parent's path
/// continues it (<c>layer1</c> + <c>layer1.0</c> → <c>layer1.0</c>), any other is appended
/// (<c>layer1.0</c> + <c>conv1</c>); repeated calls fold back onto the module; and where a module
/// was called by an ancestor rather than its parent (a ModuleDict entry called from the root), the
/// names of the parameters its nodes read (<c>heads.mix.weight</c>) give the full path.
/// A graph without such names (other exporters) gets one tap per computing node, named after it.
/// Limits, from what the names can say: a parameter-free module called by an ancestor rather than
/// its parent gets its parent-relative path; a container module called more than once has its calls
/// told apart only by its own direct nodes (a leaf module called twice, like ResNet's relu, is exact).
/// </summary>
static partial class ModulePaths
{
    [GeneratedRegex(@"^(.+)_(\d+)$")]
    private static partial Regex RepeatSuffix();

    sealed class Scope(string key, string segment, Scope? parent)
    {
        public string Key { get; } = key;
        public string Segment { get; } = segment;
        public Scope? Parent { get; } = parent;
        public List<Scope> Children { get; } = new();
        public List<int> DirectNodes { get; } = new();
        /// <summary>Nodes of the scope and its descendants, grouped by call (the segment as written).</summary>
        public List<(string Call, List<int> Nodes)> Calls { get; } = new();
        public HashSet<string> Ops { get; } = new(StringComparer.Ordinal);
        public string Path { get; set; } = "";
        public int Depth => Parent is null ? 0 : Parent.Depth + 1;

        public void Add(string call, int node, string op)
        {
            Ops.Add(op);
            var group = Calls.FirstOrDefault(c => c.Call == call);
            if (group.Nodes is null)
            {
                group = (call, new List<int>());
                Calls.Add(group);
            }
            group.Nodes.Add(node);
        }
    }

    /// <param name="nodes">the graph's nodes in execution order</param>
    /// <param name="initializers">names of the graph's initializers</param>
    /// <param name="graphOutputs">names of the graph's outputs</param>
    /// <param name="isActivation">whether a node output is a run-time activation (not a constant or shape)</param>
    public static IReadOnlyList<TapPlan> Recover(IReadOnlyList<P.NodeProto> nodes, IReadOnlySet<string> initializers,
        IReadOnlySet<string> graphOutputs, Func<int, int, bool> isActivation)
    {
        var chains = nodes.Select(n => Segments(n.Name)).ToList();
        if (chains.All(c => c is null || c.Length == 0))
            return PerNode(nodes, isActivation);

        var root = new Scope("", "", null);
        var scopes = new Dictionary<string, Scope>(StringComparer.Ordinal);
        var order = new List<Scope>();
        for (int i = 0; i < nodes.Count; i++)
        {
            var chain = chains[i];
            if (chain is null || chain.Length == 0) continue;
            var parent = root;
            for (int d = 0; d < chain.Length; d++)
            {
                string written = chain[d];
                string segment = written;
                // relu_1 is the second call of relu when relu was seen before with the same kind of nodes.
                if (RepeatSuffix().Match(written) is { Success: true } m
                    && scopes.TryGetValue(Join(parent.Key, m.Groups[1].Value), out var earlier)
                    && earlier.Ops.Contains(nodes[i].OpType))
                    segment = m.Groups[1].Value;
                string key = Join(parent.Key, segment);
                if (!scopes.TryGetValue(key, out var scope))
                {
                    scope = new Scope(key, segment, parent);
                    scopes.Add(key, scope);
                    parent.Children.Add(scope);
                    order.Add(scope);
                }
                scope.Add(written, i, nodes[i].OpType);
                parent = scope;
            }
            parent.DirectNodes.Add(i);
        }

        AssignPaths(root, nodes, initializers);

        var consumers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (string input in nodes[i].Input)
                if (input.Length > 0)
                {
                    if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = new();
                    list.Add(i);
                }

        var plans = new List<TapPlan>();
        foreach (var scope in order)
        {
            var sites = new List<TapSite>();
            string? kind = null;
            foreach (var (_, callNodes) in scope.Calls)
            {
                var inCall = callNodes.ToHashSet();
                // The call's output: its last node output used outside the call (or by no one but the graph).
                for (int k = callNodes.Count - 1; k >= 0; k--)
                {
                    int node = callNodes[k];
                    int output = Escaping(nodes[node], inCall, consumers, graphOutputs);
                    if (output < 0 || !isActivation(node, output)) continue;
                    sites.Add(new TapSite(node, output));
                    kind ??= scope.Children.Count == 0 ? nodes[node].OpType : "Block";
                    break;
                }
            }
            if (sites.Count > 0)
                plans.Add(new TapPlan(scope.Path, kind!, sites, scope.Depth));
        }
        return MergeSamePaths(plans);
    }

    static int Escaping(P.NodeProto node, HashSet<int> inCall, Dictionary<string, List<int>> consumers, IReadOnlySet<string> graphOutputs)
    {
        for (int o = 0; o < node.Output.Count; o++)
        {
            string value = node.Output[o];
            if (value.Length == 0) continue;
            if (graphOutputs.Contains(value)) return o;
            if (consumers.TryGetValue(value, out var users) && users.Any(u => !inCall.Contains(u))) return o;
        }
        return -1;
    }

    /// <summary>Paths top-down: parameter names where they tell, else the segment rule.</summary>
    static void AssignPaths(Scope scope, IReadOnlyList<P.NodeProto> nodes, IReadOnlySet<string> initializers)
    {
        foreach (var child in scope.Children)
        {
            child.Path = FromParameters(child, nodes, initializers) ?? Continue(scope.Path, child.Segment);
            AssignPaths(child, nodes, initializers);
        }
    }

    /// <summary>
    /// The module's own path from the parameters its nodes read ("heads.mix.weight" → "heads.mix"),
    /// when exactly one such path ends with the segment.
    /// </summary>
    static string? FromParameters(Scope scope, IReadOnlyList<P.NodeProto> nodes, IReadOnlySet<string> initializers)
    {
        var owners = scope.DirectNodes
            .SelectMany(i => nodes[i].Input)
            .Where(initializers.Contains)
            .Select(name => name.LastIndexOf('.') is var dot and > 0 ? name[..dot] : null)
            .Where(owner => owner is not null && (owner == scope.Segment || owner.EndsWith("." + scope.Segment, StringComparison.Ordinal)))
            .Distinct()
            .ToList();
        return owners.Count == 1 ? owners[0] : null;
    }

    /// <summary>The path of a module whose call segment is <paramref name="segment"/> inside <paramref name="parent"/>.</summary>
    internal static string Continue(string parent, string segment)
    {
        if (parent.Length == 0) return segment;
        string[] atoms = segment.Split('.');
        if (atoms.Length > 1)
        {
            string lead = string.Join('.', atoms[..^1]);
            if (parent == lead || parent.EndsWith("." + lead, StringComparison.Ordinal))
                return parent + "." + atoms[^1];
        }
        return parent + "." + segment;
    }

    /// <summary>The module segments of a node name ("/a/b/Conv" → [a, b]); null when the name has no scope.</summary>
    internal static string[]? Segments(string name)
    {
        if (!name.StartsWith('/')) return null;
        var parts = name.Split('/');
        // parts[0] is empty (the leading '/'), the last part is the node's own name.
        return parts.Length <= 2 ? [] : parts[1..^1].Any(p => p.Length == 0) ? null : parts[1..^1];
    }

    static string Join(string parent, string segment) => parent.Length == 0 ? segment : parent + "/" + segment;

    /// <summary>Two scopes that resolve to one path (a module reached two ways) share its tap.</summary>
    static IReadOnlyList<TapPlan> MergeSamePaths(List<TapPlan> plans)
    {
        var merged = new List<TapPlan>();
        foreach (var group in plans.GroupBy(p => p.Path, StringComparer.Ordinal))
        {
            var first = group.First();
            merged.Add(group.Count() == 1 ? first : first with { Sites = [.. group.SelectMany(p => p.Sites).OrderBy(s => s.Node)] });
        }
        return merged;
    }

    /// <summary>No module scopes in the names: one tap per activation-producing node, named after the node.</summary>
    static IReadOnlyList<TapPlan> PerNode(IReadOnlyList<P.NodeProto> nodes, Func<int, int, bool> isActivation)
    {
        var plans = new List<TapPlan>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].Output.Count == 0 || !isActivation(i, 0)) continue;
            string raw = nodes[i].Name.Length > 0 ? nodes[i].Name : nodes[i].Output[0];
            string name = new([.. raw.Select(ch => char.IsLetterOrDigit(ch) || ch == '_' ? ch : '_')]);
            if (name.Length == 0) name = $"{nodes[i].OpType}_{i}";
            string unique = name;
            for (int k = 1; !used.Add(unique); k++) unique = $"{name}_{k}";
            plans.Add(new TapPlan(unique, nodes[i].OpType, [new TapSite(i, 0)], 1));
        }
        return plans;
    }
}
