using static TorchSharp.torch;
using P = global::Onnx;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// Turns a parsed ModelProto into <see cref="OnnxModel"/>'s plan: checks that every value has one
/// producer and every input is defined, sorts the nodes (a cycle is an error, never a hang), rejects
/// unsupported operators (all of them at once, each with its node), folds constant nodes, sorts
/// the rest into shape arithmetic and activations, and works out when each value can be freed.
/// </summary>
static class OnnxGraphBuilder
{
    enum ValueKind : byte { Constant, Shape, Data }

    const int ListedProblems = 8;

    /// <summary>Every value's number, given in the order names are first met.</summary>
    sealed class ValueIds
    {
        readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

        /// <summary>The name's number, a new one the first time.</summary>
        public int Id(string name) => _ids.TryGetValue(name, out int id) ? id : _ids[name] = _ids.Count;

        /// <summary>The number of a name already met.</summary>
        public int this[string name] => _ids[name];

        public int Count => _ids.Count;

        public Dictionary<int, string> Names() => _ids.ToDictionary(p => p.Value, p => p.Key);
    }

    /// <exception cref="OnnxProblem"/>
    public static OnnxModel.LoadedGraph Build(P.ModelProto model, string path)
    {
        int opset = OnnxFile.OpsetOf(model, path);
        string directory = Path.GetDirectoryName(path) ?? ".";
        var graph = model.Graph;
        var ids = new ValueIds();

        var (constants, initializerNames) = ReadInitializers(graph, directory, ids);
        string[] externalFiles = [.. graph.Initializer
            .Where(t => t.DataLocation == P.TensorProto.Types.DataLocation.External)
            .Select(t => Path.GetFullPath(Path.Combine(directory, t.ExternalData.First(e => e.Key == "location").Value)))
            .Distinct(StringComparer.Ordinal)];
        var (input, inputShape) = ImageInput(graph, initializerNames);
        int inputId = ids.Id(input.Name);

        // An If's branches read enclosing values by name: they become its inputs, so it is ordered and folded as any node.
        var nodes = graph.Node.Select(OnnxIf.WithCapturedInputs).ToList();
        CheckOperators(nodes);
        var producer = Producers(graph, nodes, initializerNames, input.Name);
        var ordered = NeededInOrder(graph, nodes, producer);

        var kinds = new Dictionary<int, ValueKind> { [inputId] = ValueKind.Data };
        foreach (int id in constants.Keys) kinds[id] = ValueKind.Constant;
        var steps = Compile(ordered, opset, directory, ids, kinds, constants);

        int outputId = ids.Id(graph.Output[0].Name);
        int valueCount = ids.Count;
        var (deviceConstants, cpuConstants) = PlaceConstants(steps, kinds, constants, outputId, ref valueCount);
        var names = ids.Names();
        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        string[] constantNames = [.. deviceConstants.Select(id => Unique(BufferName(names[id]), usedNames))];
        ScheduleFrees(steps, outputId);

        int[] shapeIds = [.. steps.Where(s => s.IsShape).SelectMany(s => s.Outputs).Where(id => id >= 0)];
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var taps = ModulePaths.Recover(ordered, initializerNames, graphOutputs,
            (n, o) => o < ordered[n].Output.Count && ordered[n].Output[o].Length > 0 && kinds[ids[ordered[n].Output[o]]] == ValueKind.Data);

        return new OnnxModel.LoadedGraph(
            graph.Name, opset, $"{model.ProducerName} {model.ProducerVersion}".Trim(), input.Name, inputShape,
            [.. steps], valueCount, inputId, outputId,
            [.. deviceConstants], [.. deviceConstants.Select(id => constants[id])], constantNames,
            cpuConstants, shapeIds, taps, externalFiles);
    }

    /// <summary>Initializers (CPU tensors until the model is moved), by value number, and their names.</summary>
    static (Dictionary<int, Tensor> Constants, HashSet<string> Names) ReadInitializers(P.GraphProto graph, string directory, ValueIds ids)
    {
        if (graph.SparseInitializer.Count > 0)
            throw new OnnxProblem("sparse initializers are not supported", EngineErrorKind.UnknownArchitecture);
        var constants = new Dictionary<int, Tensor>();
        var initializerNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var initializer in graph.Initializer)
        {
            if (initializer.Name.Length == 0)
                throw new OnnxProblem("an initializer has no name");
            if (!initializerNames.Add(initializer.Name))
                throw new OnnxProblem($"initializer '{initializer.Name}' appears twice");
            constants[ids.Id(initializer.Name)] = OnnxTensors.ToTensor(initializer, directory, $"initializer '{initializer.Name}'").DetachFromDisposeScope();
        }
        return (constants, initializerNames);
    }

    /// <summary>The one image input (a float tensor) and its shape, unknown sizes null.</summary>
    static (P.ValueInfoProto Input, IReadOnlyList<long?> Shape) ImageInput(P.GraphProto graph, HashSet<string> initializerNames)
    {
        var inputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new OnnxProblem(
                $"the graph has {inputs.Count} inputs ({string.Join(", ", inputs.Select(i => $"'{i.Name}'"))}); UnitScope runs models with one image input",
                EngineErrorKind.UnknownArchitecture);
        var input = inputs[0];
        var tensorType = input.Type?.TensorType
            ?? throw new OnnxProblem($"input '{input.Name}' is not a tensor", EngineErrorKind.UnknownArchitecture);
        if (tensorType.ElemType is not ((int)P.TensorProto.Types.DataType.Float or (int)P.TensorProto.Types.DataType.Float16 or (int)P.TensorProto.Types.DataType.Double))
            throw new OnnxProblem($"input '{input.Name}' is {OnnxTensors.TypeName(tensorType.ElemType)}; UnitScope feeds float images", EngineErrorKind.UnknownArchitecture);
        IReadOnlyList<long?> inputShape = tensorType.Shape is null ? [] :
            [.. tensorType.Shape.Dim.Select(d => d.HasDimValue && d.DimValue > 0 ? d.DimValue : (long?)null)];
        return (input, inputShape);
    }

    /// <summary>Every unsupported operator, with its node, in one message (If's branches included).</summary>
    static void CheckOperators(List<P.NodeProto> nodes)
    {
        var unsupported = nodes.SelectMany(OnnxIf.WithNested)
            .Where(n => n.Domain is not ("" or "ai.onnx") || !OnnxOperators.IsSupported(n.OpType))
            .Select(n => $"{(n.Domain is "" or "ai.onnx" ? "" : n.Domain + "::")}{n.OpType} (node '{NodeName(n)}')")
            .ToList();
        if (unsupported.Count > 0)
            throw new OnnxProblem(
                $"unsupported operator{(unsupported.Count > 1 ? "s" : "")} {List(unsupported)}. Supported: {string.Join(", ", OnnxOperators.Supported)}",
                EngineErrorKind.UnknownArchitecture);
    }

    /// <summary>The node writing each value: one producer per value, every input defined.</summary>
    static Dictionary<string, int> Producers(P.GraphProto graph, List<P.NodeProto> nodes, HashSet<string> initializerNames, string inputName)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (string output in nodes[i].Output.Where(o => o.Length > 0))
            {
                if (initializerNames.Contains(output) || output == inputName)
                    throw new OnnxProblem($"node '{NodeName(nodes[i])}' writes '{output}', which is also the graph's {(output == inputName ? "input" : "initializer")}");
                if (!producer.TryAdd(output, i))
                    throw new OnnxProblem($"value '{output}' is written by two nodes, '{NodeName(nodes[producer[output]])}' and '{NodeName(nodes[i])}'");
            }
        foreach (var node in nodes)
            foreach (string used in node.Input.Where(v => v.Length > 0))
                if (!producer.ContainsKey(used) && !initializerNames.Contains(used) && used != inputName)
                    throw new OnnxProblem($"node '{NodeName(node)}' reads '{used}', which no node, initializer or input provides");
        if (graph.Output.Count == 0)
            throw new OnnxProblem("the graph has no outputs");
        foreach (var output in graph.Output)
            if (!producer.ContainsKey(output.Name) && !initializerNames.Contains(output.Name) && output.Name != inputName)
                throw new OnnxProblem($"graph output '{output.Name}' is not computed by any node");
        return producer;
    }

    /// <summary>The nodes in a topological order, only those the outputs need (only what they need runs).</summary>
    static List<P.NodeProto> NeededInOrder(P.GraphProto graph, List<P.NodeProto> nodes, Dictionary<string, int> producer)
    {
        var order = TopologicalOrder(nodes, producer);
        var needed = new bool[nodes.Count];
        var pending = new Stack<int>(graph.Output.Where(o => producer.ContainsKey(o.Name)).Select(o => producer[o.Name]));
        while (pending.Count > 0)
        {
            int n = pending.Pop();
            if (needed[n]) continue;
            needed[n] = true;
            foreach (string used in nodes[n].Input)
                if (used.Length > 0 && producer.TryGetValue(used, out int p)) pending.Push(p);
        }
        return order.Where(i => needed[i]).Select(i => nodes[i]).ToList();
    }

    /// <summary>
    /// Classifies each node's outputs (constant, shape arithmetic, activation), folds constant nodes into
    /// <paramref name="constants"/>, and compiles the rest into steps.
    /// </summary>
    static List<OnnxModel.Step> Compile(List<P.NodeProto> ordered, int opset, string directory, ValueIds ids,
        Dictionary<int, ValueKind> kinds, Dictionary<int, Tensor> constants)
    {
        var steps = new List<OnnxModel.Step>();
        for (int n = 0; n < ordered.Count; n++)
        {
            var node = ordered[n];
            var inputKinds = node.Input.Where(v => v.Length > 0).Select(v => kinds[ids[v]]).ToList();
            var kind = node.OpType is "Shape" or "Size"
                ? (inputKinds.Count > 0 && inputKinds[0] == ValueKind.Constant ? ValueKind.Constant : ValueKind.Shape)
                : inputKinds.All(k => k == ValueKind.Constant) ? ValueKind.Constant
                : inputKinds.All(k => k != ValueKind.Data) ? ValueKind.Shape
                : ValueKind.Data;

            var context = new NodeContext(node, opset,
                index => kinds.TryGetValue(ids[node.Input[index]], out var k) && k == ValueKind.Constant ? constants[ids[node.Input[index]]] : null,
                directory);
            var kernel = OnnxOperators.Create(context);
            int[] inputIds = [.. node.Input.Select(v => v.Length > 0 ? ids[v] : -1)];
            int[] outputIds = [.. node.Output.Select(v => v.Length > 0 ? ids.Id(v) : -1)];
            foreach (int id in outputIds.Where(id => id >= 0)) kinds[id] = kind;

            if (kind == ValueKind.Constant)
            {
                Tensor[] values;
                try
                {
                    values = kernel([.. inputIds.Select(id => id < 0 ? null : constants[id])]);
                }
                catch (Exception e) when (e is OnnxProblem or System.Runtime.InteropServices.ExternalException or ArgumentException or InvalidOperationException)
                {
                    throw new OnnxProblem($"{context.Describe} could not be evaluated: {e.Message.Split('\n')[0].TrimEnd('.')}");
                }
                for (int o = 0; o < values.Length; o++)
                {
                    if (o < outputIds.Length && outputIds[o] >= 0) constants[outputIds[o]] = values[o].DetachFromDisposeScope();
                    else values[o].Dispose();
                }
                continue;
            }
            steps.Add(new OnnxModel.Step
            {
                Node = n, Describe = context.Describe, Kernel = kernel,
                Inputs = inputIds, Outputs = outputIds, IsShape = kind == ValueKind.Shape,
                Attributes = new NodeContext(node, opset, _ => null, directory),
            });
        }
        return steps;
    }

    /// <summary>
    /// Constants the steps read: device buffers for activations, CPU copies for shape arithmetic (new value
    /// numbers from <paramref name="valueCount"/>, the steps' inputs renumbered); the rest are disposed.
    /// </summary>
    static (List<int> Device, List<(int, Tensor)> Cpu) PlaceConstants(List<OnnxModel.Step> steps, Dictionary<int, ValueKind> kinds,
        Dictionary<int, Tensor> constants, int outputId, ref int valueCount)
    {
        var deviceConstants = new List<int>();
        var cpuConstants = new List<(int, Tensor)>();
        var cpuIdOf = new Dictionary<int, int>();
        foreach (var step in steps)
        {
            for (int i = 0; i < step.Inputs.Length; i++)
            {
                int id = step.Inputs[i];
                if (id < 0 || kinds[id] != ValueKind.Constant) continue;
                if (!step.IsShape)
                {
                    if (!deviceConstants.Contains(id)) deviceConstants.Add(id);
                    continue;
                }
                if (!cpuIdOf.TryGetValue(id, out int cpuId))
                {
                    cpuId = cpuIdOf[id] = valueCount++;
                    cpuConstants.Add((cpuId, constants[id].clone().DetachFromDisposeScope()));
                }
                step.Inputs[i] = cpuId;
            }
        }
        if (kinds[outputId] == ValueKind.Constant && !deviceConstants.Contains(outputId)) deviceConstants.Add(outputId);
        foreach (var (id, tensor) in constants)
            if (!deviceConstants.Contains(id)) tensor.Dispose();
        return (deviceConstants, cpuConstants);
    }

    /// <summary>When each activation can go: after the last step that reads it (never the output).</summary>
    static void ScheduleFrees(List<OnnxModel.Step> steps, int outputId)
    {
        var lastUse = new Dictionary<int, int>();
        for (int s = 0; s < steps.Count; s++)
        {
            foreach (int id in steps[s].Inputs.Where(id => id >= 0)) lastUse[id] = s;
            foreach (int id in steps[s].Outputs.Where(id => id >= 0)) lastUse.TryAdd(id, s);
        }
        var freeAfter = steps.Select(_ => new List<int>()).ToArray();
        for (int s = 0; s < steps.Count; s++)
            if (!steps[s].IsShape)
                foreach (int id in steps[s].Outputs.Where(id => id >= 0 && id != outputId))
                    freeAfter[lastUse[id]].Add(id);
        for (int s = 0; s < steps.Count; s++) steps[s].FreeAfter = [.. freeAfter[s]];
    }

    /// <summary>Kahn's algorithm, keeping the file's order among ready nodes; a cycle is reported by name.</summary>
    static List<int> TopologicalOrder(List<P.NodeProto> nodes, Dictionary<string, int> producer)
    {
        var waiting = new int[nodes.Count];
        var dependents = nodes.Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < nodes.Count; i++)
            foreach (int p in nodes[i].Input.Where(v => v.Length > 0 && producer.ContainsKey(v)).Select(v => producer[v]).Distinct())
            {
                waiting[i]++;
                dependents[p].Add(i);
            }
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; i++)
            if (waiting[i] == 0) ready.Enqueue(i, i);
        var order = new List<int>(nodes.Count);
        while (ready.TryDequeue(out int n, out _))
        {
            order.Add(n);
            foreach (int d in dependents[n])
                if (--waiting[d] == 0) ready.Enqueue(d, d);
        }
        if (order.Count < nodes.Count)
        {
            var stuck = Enumerable.Range(0, nodes.Count).Where(i => waiting[i] > 0).Select(i => $"'{NodeName(nodes[i])}' ({nodes[i].OpType})").ToList();
            throw new OnnxProblem($"the graph has a cycle: {List(stuck)} wait on each other's outputs");
        }
        return order;
    }

    static string NodeName(P.NodeProto node) => node.Name.Length > 0 ? node.Name : $"{node.OpType} → {string.Join(", ", node.Output)}";

    static string List(List<string> items) =>
        string.Join(", ", items.Take(ListedProblems)) + (items.Count > ListedProblems ? $" and {items.Count - ListedProblems} more" : "");

    static string BufferName(string valueName)
    {
        string name = new([.. valueName.Select(ch => ch == '.' ? '_' : ch)]);
        return name.Length == 0 ? "constant" : name;
    }

    static string Unique(string name, HashSet<string> used)
    {
        string unique = name;
        for (int k = 1; !used.Add(unique); k++) unique = $"{name}_{k}";
        return unique;
    }
}
