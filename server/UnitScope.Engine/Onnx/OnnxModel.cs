using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using P = global::Onnx;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// An ONNX graph run with TorchSharp ops, as an <c>nn.Module&lt;Tensor, Tensor&gt;</c> (one image
/// batch in, the graph's first output out), so everything that works on a zoo model works on it.
/// <para>
/// Addressing: its children are <see cref="OnnxTap"/> modules in a tree that mirrors the PyTorch
/// module paths recovered from node names (<see cref="ModulePaths"/>): <c>layer4.1.conv2</c> is the
/// output of node <c>/layer4/layer4.1/conv2/Conv</c>, <c>layer4.1</c> that of the last node of its
/// scope. Taps are called with <c>call()</c> on those outputs, so forward hooks capture them and
/// can replace them (ablation).
/// </para>
/// <para>
/// Load-time work: the graph is checked (producers, cycles, operators, opset), sorted, and every
/// node whose inputs are all constant is evaluated once (constant folding). Shape arithmetic that
/// depends only on the input's shape (PyTorch's Shape/Gather/Unsqueeze/Concat/Reshape for
/// <c>x.view(x.size(0), -1)</c>) is evaluated on the first forward pass of each input shape and
/// reused, so a hook may replace a tap's value but not change its shape (that pass would reshape by
/// stale sizes, or leave shapes behind that break later passes): it throws InvalidOperationException. Initializers and folded constants are buffers, moved by <c>to(device)</c>.
/// Intermediate values are disposed as soon as no later node needs them.
/// </para>
/// </summary>
public sealed class OnnxModel : nn.Module<Tensor, Tensor>
{
    internal sealed class Step
    {
        public required int Node;
        public required string Describe;
        public required Kernel Kernel;
        public required int[] Inputs;   // value ids, −1 for an omitted input
        public required int[] Outputs;  // value ids, −1 for an unused output
        public required bool IsShape;
        public OnnxTap[][] Taps = [];   // per output: innermost first
        public int[] FreeAfter = [];    // values no later step needs
        /// <summary>The node's attributes (no constant inputs), for what reads its geometry (receptive fields).</summary>
        public NodeContext? Attributes;
    }

    /// <summary>
    /// Called after every data step with its inputs and outputs; what it returns replaces the outputs for the rest of
    /// the graph (receptive fields give window ops a geometric gradient this way, <see cref="OnnxSurrogates"/>). Set
    /// only while the model's owner holds its forward lock.
    /// </summary>
    internal Func<Step, Tensor?[], Tensor[], Tensor[]>? StepHook { get; set; }

    readonly Step[] _steps;
    readonly int _valueCount, _inputId, _outputId;
    readonly int[] _constantIds;        // value ids filled from _constants (device copies)
    Tensor[] _constants;                // registered buffers, in _constantIds order
    readonly Dictionary<int, Tensor> _cpuConstants = new(); // CPU copies for shape arithmetic, by value id
    readonly int[] _shapeIds;
    readonly Dictionary<string, Tensor[]> _shapeCache = new(StringComparer.Ordinal);
    bool _shapeCacheDisabled;
    readonly Dictionary<string, OnnxTap> _taps;

    OnnxModel(string name, LoadedGraph graph) : base(name)
    {
        GraphName = graph.GraphName;
        Opset = graph.Opset;
        InputName = graph.InputName;
        InputShape = graph.InputShape;
        Producer = graph.Producer;
        ExternalDataFiles = graph.ExternalDataFiles;
        _steps = graph.Steps;
        _valueCount = graph.ValueCount;
        _inputId = graph.InputId;
        _outputId = graph.OutputId;
        _constantIds = graph.ConstantIds;
        _constants = graph.Constants;
        _shapeIds = graph.ShapeIds;
        _constantNames = graph.ConstantNames;
        foreach (var (id, cpu) in graph.CpuConstants) _cpuConstants[id] = cpu;

        for (int i = 0; i < _constants.Length; i++)
            register_buffer(graph.ConstantNames[i], _constants[i]);
        _taps = BuildTapTree(graph.Taps, graph.Steps);
    }

    /// <summary>The graph's name (PyTorch writes "torch_jit"; may be empty).</summary>
    public string GraphName { get; }
    /// <summary>The ai.onnx opset the model imports.</summary>
    public int Opset { get; }
    /// <summary>"pytorch 1.13.0", or empty.</summary>
    public string Producer { get; }
    public string InputName { get; }
    /// <summary>Files beside the model that hold its external-data initializers (full paths).</summary>
    public IReadOnlyList<string> ExternalDataFiles { get; }
    /// <summary>The graph input's dimensions; null where the dimension is symbolic (e.g. the batch).</summary>
    public IReadOnlyList<long?> InputShape { get; }

    /// <summary>
    /// Loads and checks <paramref name="path"/>. When the input's channels, height and width are
    /// known (from the graph, or <paramref name="inputHeight"/>/<paramref name="inputWidth"/> for
    /// symbolic ones) the model is run once on zeros, so a weight that does not fit its node is
    /// reported now, naming the node.
    /// </summary>
    /// <exception cref="UnitScopeException">FileNotFound, CorruptCheckpoint (damaged file, cycle, bad
    /// initializer), UnknownArchitecture (unsupported operator or opset).</exception>
    public static OnnxModel Load(string path, int? inputHeight = null, int? inputWidth = null)
    {
        path = Path.GetFullPath(path);
        var proto = OnnxFile.Read(path);
        LoadedGraph graph;
        using (var scope = torch.NewDisposeScope())
        {
            try
            {
                graph = OnnxGraphBuilder.Build(proto, path);
            }
            catch (OnnxProblem p)
            {
                throw new UnitScopeException(p.Kind, $"{(p.Kind == EngineErrorKind.CorruptCheckpoint ? "Cannot read" : "Cannot run")} ONNX model {path}: {p.Message}.", p);
            }
            catch (ExternalException e)
            {
                throw OnnxFile.Corrupt(path, $"libtorch could not evaluate its constants ({FirstLine(e.Message)})", e);
            }
        }
        var model = new OnnxModel(string.IsNullOrEmpty(graph.GraphName) ? "onnx" : graph.GraphName, graph);
        model.eval();
        try
        {
            if (model.ResolveInputShape(inputHeight, inputWidth) is { } shape)
            {
                using var scope = torch.NewDisposeScope();
                using var noGrad = torch.no_grad();
                model.forward(torch.zeros(shape));
            }
        }
        catch (UnitScopeException e)
        {
            model.Dispose();
            throw new UnitScopeException(EngineErrorKind.CorruptCheckpoint,
                $"Cannot run ONNX model {path} on its input {OnnxTensors.Shape(model.ResolveInputShape(inputHeight, inputWidth)!)}: {e.Message}", e);
        }
        return model;
    }

    /// <summary>[1, C, H, W] when every dimension but the batch is known, else null.</summary>
    long[]? ResolveInputShape(int? height, int? width)
    {
        if (InputShape.Count != 4) return null;
        long? c = InputShape[1], h = height ?? InputShape[2], w = width ?? InputShape[3];
        return c is > 0 && h is > 0 && w is > 0 ? [1, c.Value, h.Value, w.Value] : null;
    }

    public override Tensor forward(Tensor input)
    {
        var env = new Tensor?[_valueCount];
        var owned = new bool[_valueCount];
        env[_inputId] = input;
        for (int i = 0; i < _constantIds.Length; i++) env[_constantIds[i]] = _constants[i];
        foreach (var (id, cpu) in _cpuConstants) env[id] = cpu;

        string shapeKey = string.Join(",", input.shape) + "@" + input.dtype;
        Tensor[]? cachedShapes = null;
        lock (_shapeCache)
            if (_shapeCache.TryGetValue(shapeKey, out var cached))
                cachedShapes = cached;
        if (cachedShapes is not null)
            for (int i = 0; i < _shapeIds.Length; i++) env[_shapeIds[i]] = cachedShapes[i];
        var newShapes = cachedShapes is null && _shapeIds.Length > 0 ? new List<Tensor>() : null;

        foreach (var step in _steps)
        {
            if (step.IsShape && cachedShapes is not null) continue;
            var inputs = new Tensor?[step.Inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
                inputs[i] = step.Inputs[i] < 0 ? null : env[step.Inputs[i]];

            Tensor[] outputs;
            try
            {
                outputs = step.Kernel(inputs);
                if (StepHook is { } hook && !step.IsShape) outputs = hook(step, inputs, outputs);
            }
            catch (Exception e) when (e is OnnxProblem or ExternalException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
            {
                string shapes = string.Join(", ", inputs.Where(t => t is not null).Select(t => OnnxTensors.Shape(t!.shape)));
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"ONNX {step.Describe} failed on inputs {shapes}: {FirstLine(e.Message)}", e);
            }

            for (int o = 0; o < outputs.Length; o++)
            {
                int id = o < step.Outputs.Length ? step.Outputs[o] : -1;
                if (id < 0)
                {
                    outputs[o].Dispose();
                    continue;
                }
                var value = outputs[o];
                if (step.IsShape)
                {
                    value = value.DetachFromDisposeScope();
                    newShapes?.Add(value);
                }
                else
                {
                    owned[id] = true;
                    foreach (var tap in o < step.Taps.Length ? step.Taps[o] : [])
                    {
                        var replaced = tap.call(value);
                        if (!ReferenceEquals(replaced, value))
                        {
                            owned[id] = false; // the hook's tensor: not ours to dispose
                            if (!replaced.shape.SequenceEqual(value.shape))
                                throw new InvalidOperationException(
                                    $"A forward hook changed the shape of ONNX {step.Describe}'s output from {OnnxTensors.Shape(value.shape)} to " +
                                    $"{OnnxTensors.Shape(replaced.shape)}: hooks on an ONNX model may change values, not shapes " +
                                    "(its shape arithmetic is computed once per input shape).");
                        }
                        value = replaced;
                    }
                }
                env[id] = value;
            }

            foreach (int id in step.FreeAfter)
            {
                if (owned[id] && id != _outputId)
                {
                    env[id]!.Dispose();
                    env[id] = null;
                }
            }
        }

        if (newShapes is not null)
            RememberShapes(shapeKey, [.. _shapeIds.Select(id => env[id]!)]);
        var result = env[_outputId] ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument, "The ONNX graph produced no output.");
        // A value the model keeps (a constant, the input, a hook's tensor) goes out as a new handle.
        return owned[_outputId] ? result : result.alias();
    }

    void RememberShapes(string key, Tensor[] values)
    {
        lock (_shapeCache)
        {
            if (_shapeCacheDisabled || _shapeCache.ContainsKey(key))
            {
                foreach (var v in values) v.Dispose();
                return;
            }
            // Shape values are a few integers; anything large is not worth keeping.
            if (values.Any(v => v.numel() > 4096))
            {
                _shapeCacheDisabled = true;
                foreach (var v in values) v.Dispose();
                return;
            }
            if (_shapeCache.Count >= 16)
            {
                foreach (var old in _shapeCache.Values.SelectMany(v => v)) old.Dispose();
                _shapeCache.Clear();
            }
            _shapeCache[key] = values;
        }
    }

    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        // Module.to replaced the buffers with moved copies: pick those up.
        var buffers = named_buffers(recurse: false).ToDictionary(b => b.name, b => b.buffer, StringComparer.Ordinal);
        var names = _constantNames;
        for (int i = 0; i < _constants.Length; i++) _constants[i] = buffers[names[i]];
    }

    readonly string[] _constantNames;

    Dictionary<string, OnnxTap> BuildTapTree(IReadOnlyList<TapPlan> plans, Step[] steps)
    {
        var byPath = new Dictionary<string, OnnxTap>(StringComparer.Ordinal);
        var sitesOf = new Dictionary<(int Step, int Output), List<(int Depth, OnnxTap Tap)>>();
        var stepOfNode = new Dictionary<int, int>();
        for (int s = 0; s < steps.Length; s++) stepOfNode[steps[s].Node] = s;

        OnnxTap Get(string path)
        {
            if (byPath.TryGetValue(path, out var tap)) return tap;
            int dot = path.LastIndexOf('.');
            string name = dot < 0 ? path : path[(dot + 1)..];
            tap = new OnnxTap(name, "");
            if (dot < 0) register_module(name, tap);
            else Get(path[..dot]).register_module(name, tap);
            byPath[path] = tap;
            return tap;
        }

        foreach (var plan in plans)
        {
            var tap = Get(plan.Path);
            tap.Kind = plan.Kind;
            foreach (var site in plan.Sites)
            {
                if (!stepOfNode.TryGetValue(site.Node, out int s)) continue;
                if (!sitesOf.TryGetValue((s, site.Output), out var list)) sitesOf[(s, site.Output)] = list = new();
                list.Add((plan.Depth, tap));
            }
        }
        foreach (var ((s, output), list) in sitesOf)
        {
            var step = steps[s];
            if (step.Taps.Length < step.Outputs.Length) step.Taps = [.. Enumerable.Range(0, step.Outputs.Length).Select(_ => Array.Empty<OnnxTap>())];
            step.Taps[output] = [.. list.OrderByDescending(t => t.Depth).Select(t => t.Tap).Distinct()];
        }
        // Containers that are never called themselves (a ModuleList) keep an empty kind and never fire.
        return byPath;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_shapeCache)
            {
                foreach (var v in _shapeCache.Values.SelectMany(v => v)) v.Dispose();
                _shapeCache.Clear();
            }
            foreach (var cpu in _cpuConstants.Values) cpu.Dispose();
            _cpuConstants.Clear();
        }
        base.Dispose(disposing);
    }

    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim().TrimEnd('.');

    /// <summary>Everything the builder hands the model.</summary>
    internal sealed record LoadedGraph(
        string GraphName, int Opset, string Producer, string InputName, IReadOnlyList<long?> InputShape,
        Step[] Steps, int ValueCount, int InputId, int OutputId,
        int[] ConstantIds, Tensor[] Constants, string[] ConstantNames,
        IReadOnlyList<(int Id, Tensor Cpu)> CpuConstants, int[] ShapeIds,
        IReadOnlyList<TapPlan> Taps, IReadOnlyList<string> ExternalDataFiles);
}
