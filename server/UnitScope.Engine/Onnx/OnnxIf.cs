using Google.Protobuf;
using static TorchSharp.torch;
using P = global::Onnx;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// ONNX <c>If</c>: the condition picks the then- or else-branch, a subgraph whose outputs are the node's. What
/// PyTorch writes it for: <c>x.squeeze(1)</c> when the dimension's size is not known at export (the condition is
/// <c>Shape(x)[1] == 1</c>), shape checks in user code.
/// <para>
/// A branch reads values of the enclosing graph by name, without listing them as inputs. <see cref="WithCapturedInputs"/>
/// appends those names to the node's inputs (after the condition) so the graph builder orders, folds and frees them as
/// for any node: an <c>If</c> whose condition and captured values are constant is folded at load (the branch not
/// taken never runs), one on shapes is evaluated once per input shape, and one on activations at every pass.
/// </para>
/// <para>
/// Branch nodes run without taps: a module called inside a branch is not addressable (PyTorch puts only shape
/// logic there).
/// </para>
/// </summary>
static class OnnxIf
{
    /// <summary>The node itself, or for an <c>If</c> a copy whose inputs are the condition then the names its branches
    /// read from enclosing graphs (sorted, each once).</summary>
    public static P.NodeProto WithCapturedInputs(P.NodeProto node)
    {
        if (node.OpType != "If" || node.Domain is not ("" or "ai.onnx")) return node;
        var captured = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var branch in Branches(node))
            captured.UnionWith(Captured(branch));
        var copy = node.Clone();
        copy.Input.AddRange(captured.Where(name => !copy.Input.Contains(name)));
        return copy;
    }

    /// <summary>The node and every node of its branches, recursively (for the unsupported-operator check).</summary>
    public static IEnumerable<P.NodeProto> WithNested(P.NodeProto node)
    {
        yield return node;
        foreach (var branch in Branches(node))
            foreach (var inner in branch.Node.SelectMany(WithNested))
                yield return inner;
    }

    static IEnumerable<P.GraphProto> Branches(P.NodeProto node) =>
        node.Attribute.Where(a => a.G is not null && a.Type is P.AttributeProto.Types.AttributeType.Graph or P.AttributeProto.Types.AttributeType.Undefined)
            .Select(a => a.G);

    /// <summary>Names a graph's nodes read (nested branches included) that neither its nodes, initializers nor inputs define.</summary>
    static IEnumerable<string> Captured(P.GraphProto graph)
    {
        var defined = new HashSet<string>(graph.Initializer.Select(i => i.Name).Concat(graph.Input.Select(i => i.Name)), StringComparer.Ordinal);
        var read = new List<string>();
        foreach (var node in graph.Node.Select(WithCapturedInputs))
        {
            read.AddRange(node.Input.Where(name => name.Length > 0 && !defined.Contains(name)));
            defined.UnionWith(node.Output.Where(name => name.Length > 0));
        }
        read.AddRange(graph.Output.Select(o => o.Name).Where(name => !defined.Contains(name)));
        return read.Distinct(StringComparer.Ordinal);
    }

    /// <summary>The kernel: inputs are the condition, then the captured values in <see cref="WithCapturedInputs"/>'s order.</summary>
    public static Kernel Create(NodeContext c)
    {
        var captured = c.Node.Input.Skip(1).ToArray();
        Tensor? Outer(string name)
        {
            int index = c.Node.Input.IndexOf(name);
            return index > 0 ? c.Constant(index) : null;
        }
        var then = new Branch(c.GraphAttribute("then_branch"), "then_branch", c, Outer);
        var otherwise = new Branch(c.GraphAttribute("else_branch"), "else_branch", c, Outer);
        int outputs = c.Node.Output.Count;
        foreach (var branch in (Branch[])[then, otherwise])
            if (branch.OutputCount != outputs)
                throw c.Invalid($"its {branch.Name} has {branch.OutputCount} outputs, the node {outputs}");

        return inputs =>
        {
            var condition = In(inputs, 0);
            if (condition.numel() != 1)
                throw new OnnxProblem($"the condition must be one value, not {OnnxTensors.Shape(condition.shape)}");
            bool take;
            using (var flag = condition.reshape(-1).to(ScalarType.Bool).cpu())
                take = flag.data<bool>()[0];
            var outer = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < captured.Length; i++)
                if (i + 1 < inputs.Length && inputs[i + 1] is { } value) outer[captured[i]] = value;
            return (take ? then : otherwise).Run(outer);
        };
    }

    static Tensor In(Tensor?[] inputs, int index) =>
        index < inputs.Length && inputs[index] is { } t ? t : throw new OnnxProblem($"required input {index} is missing");

    /// <summary>A branch's nodes, kernels built once; nodes whose inputs are all known at load are folded.</summary>
    sealed class Branch
    {
        readonly List<(Kernel Kernel, string Describe, string[] Inputs, string[] Outputs)> _steps = [];
        readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
        readonly string[] _outputs;

        public Branch(P.GraphProto graph, string name, NodeContext parent, Func<string, Tensor?> outer)
        {
            Name = name;
            _outputs = [.. graph.Output.Select(o => o.Name)];
            foreach (var initializer in graph.Initializer)
                _constants[initializer.Name] = OnnxTensors.ToTensor(initializer, parent.ModelDirectory, $"initializer '{initializer.Name}' of {name}")
                    .DetachFromDisposeScope();
            Tensor? Known(string input) => input.Length == 0 ? null : _constants.GetValueOrDefault(input) ?? outer(input);

            foreach (var node in graph.Node.Select(WithCapturedInputs))
            {
                var context = new NodeContext(node, parent.Opset, i => Known(node.Input[i]), parent.ModelDirectory);
                var kernel = OnnxOperators.Create(context);
                string[] inputs = [.. node.Input];
                string[] outputs = [.. node.Output];
                if (inputs.All(i => i.Length == 0 || Known(i) is not null))
                {
                    var values = kernel([.. inputs.Select(i => i.Length == 0 ? null : Known(i))]);
                    for (int o = 0; o < values.Length; o++)
                    {
                        if (o < outputs.Length && outputs[o].Length > 0) _constants[outputs[o]] = values[o].DetachFromDisposeScope();
                        else values[o].Dispose();
                    }
                    continue;
                }
                _steps.Add((kernel, context.Describe, inputs, outputs));
            }
        }

        public string Name { get; }
        public int OutputCount => _outputs.Length;

        public Tensor[] Run(IReadOnlyDictionary<string, Tensor> outer)
        {
            var env = new Dictionary<string, Tensor>(outer, StringComparer.Ordinal);
            foreach (var (key, value) in _constants) env[key] = value;
            var made = new List<Tensor>();
            try
            {
                foreach (var (kernel, describe, inputs, outputs) in _steps)
                {
                    var values = kernel([.. inputs.Select(i => i.Length == 0 ? null
                        : env.TryGetValue(i, out var v) ? v : throw new OnnxProblem($"{describe} in {Name} reads '{i}', which nothing provides"))]);
                    for (int o = 0; o < values.Length; o++)
                    {
                        made.Add(values[o]);
                        if (o < outputs.Length && outputs[o].Length > 0) env[outputs[o]] = values[o];
                    }
                }
                var results = _outputs.Select(o => env.TryGetValue(o, out var v) ? v
                    : throw new OnnxProblem($"{Name} output '{o}' is not computed")).ToArray();
                // What the branch did not make (a captured value, a constant) goes out as a new handle the caller owns.
                return [.. results.Select(r => made.Contains(r) ? r : r.alias())];
            }
            finally
            {
                foreach (var t in made)
                    if (!_outputs.Any(o => env.TryGetValue(o, out var v) && ReferenceEquals(v, t)))
                        t.Dispose();
            }
        }
    }
}
