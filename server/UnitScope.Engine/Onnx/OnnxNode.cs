using static TorchSharp.torch;
using P = global::Onnx;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// Runs one node: gets the node's inputs (null for an omitted optional input) and returns its
/// outputs. Built once at load by an <see cref="OnnxOperators"/> factory, with the node's
/// attributes and constant inputs already read.
/// </summary>
delegate Tensor[] Kernel(Tensor?[] inputs);

/// <summary>What an operator factory knows about its node at load time.</summary>
sealed class NodeContext(P.NodeProto node, int opset, Func<int, Tensor?> constantInput, string modelDirectory)
{
    readonly Dictionary<string, P.AttributeProto> _attributes =
        node.Attribute.GroupBy(a => a.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    public P.NodeProto Node { get; } = node;
    public int Opset { get; } = opset;
    /// <summary>The model file's folder (external data of attribute tensors and branch initializers is relative to it).</summary>
    public string ModelDirectory { get; } = modelDirectory;
    public string OpType => Node.OpType;
    /// <summary>"node '/layer1/layer1.0/conv1/Conv' (Conv)", for messages.</summary>
    public string Describe => $"node '{(Node.Name.Length > 0 ? Node.Name : string.Join(",", Node.Output))}' ({Node.OpType})";

    public int InputCount => Node.Input.Count;
    public bool HasInput(int index) => index < Node.Input.Count && Node.Input[index].Length > 0;

    /// <summary>The input's value when it is known at load (initializer, Constant, folded), on the CPU; else null.</summary>
    public Tensor? Constant(int index) => HasInput(index) ? constantInput(index) : null;

    /// <summary>The constant input as integers, or null when absent; an error when it is not constant.</summary>
    public long[]? ConstantInts(int index, string what)
    {
        if (!HasInput(index)) return null;
        var t = Constant(index) ?? throw Unsupported($"its {what} input must be a constant (it is computed at run time)");
        return Ints(t);
    }

    public static long[] Ints(Tensor t)
    {
        using var flat = t.reshape(-1).to(ScalarType.Int64).cpu();
        return flat.data<long>().ToArray();
    }

    public static double[] Doubles(Tensor t)
    {
        using var flat = t.reshape(-1).to(ScalarType.Float64).cpu();
        return flat.data<double>().ToArray();
    }

    public bool Has(string name) => _attributes.ContainsKey(name);

    public long Int(string name, long fallback) =>
        _attributes.TryGetValue(name, out var a) ? Expect(a, P.AttributeProto.Types.AttributeType.Int).I : fallback;

    public float Float(string name, float fallback) =>
        _attributes.TryGetValue(name, out var a) ? Expect(a, P.AttributeProto.Types.AttributeType.Float).F : fallback;

    public string String(string name, string fallback) =>
        _attributes.TryGetValue(name, out var a) ? Expect(a, P.AttributeProto.Types.AttributeType.String).S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) =>
        _attributes.TryGetValue(name, out var a) ? [.. Expect(a, P.AttributeProto.Types.AttributeType.Ints).Ints] : null;

    public float[]? Floats(string name) =>
        _attributes.TryGetValue(name, out var a) ? [.. Expect(a, P.AttributeProto.Types.AttributeType.Floats).Floats] : null;

    public Tensor? TensorAttribute(string name) =>
        _attributes.TryGetValue(name, out var a)
            ? OnnxTensors.ToTensor(Expect(a, P.AttributeProto.Types.AttributeType.Tensor).T, ModelDirectory, $"attribute '{name}' of {Describe}")
            : null;

    /// <summary>A subgraph attribute (If's branches); an error when the node has none of that name.</summary>
    public P.GraphProto GraphAttribute(string name) =>
        _attributes.TryGetValue(name, out var a) && Expect(a, P.AttributeProto.Types.AttributeType.Graph).G is { } g
            ? g : throw Invalid($"it has no '{name}' subgraph");

    public IEnumerable<string> AttributeNames => _attributes.Keys;

    P.AttributeProto Expect(P.AttributeProto attribute, P.AttributeProto.Types.AttributeType type)
    {
        // Writers before IR 0.0.2 left 'type' unset; then the field that is filled in tells.
        if (attribute.Type == type || attribute.Type == P.AttributeProto.Types.AttributeType.Undefined)
            return attribute;
        throw new OnnxProblem($"{Describe}: attribute '{attribute.Name}' is {attribute.Type}, expected {type}");
    }

    public OnnxProblem Unsupported(string what) =>
        new($"{Describe}: {what}", EngineErrorKind.UnknownArchitecture);

    public OnnxProblem Invalid(string what) => new($"{Describe}: {what}");
}
