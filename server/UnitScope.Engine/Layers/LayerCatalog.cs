using TorchSharp;
using static TorchSharp.torch;

namespace UnitScope.Engine.Layers;

/// <summary>Every addressable layer of a model, found by one forward pass of a blank image.</summary>
public static class LayerCatalog
{
    /// <summary>
    /// The model's named submodules whose forward takes and returns one tensor (they can be hooked),
    /// in PyTorch's <c>named_modules()</c> order: depth-first, parents before children, each module
    /// once. (TorchSharp's own <c>named_modules()</c> lists breadth-first.)
    /// </summary>
    public static IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>> HookableModules(nn.Module model)
    {
        var modules = new Dictionary<string, nn.Module<Tensor, Tensor>>(StringComparer.Ordinal);
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        void Visit(nn.Module parent, string prefix)
        {
            foreach (var (name, child) in parent.named_children())
            {
                if (!seen.Add(child)) continue;
                string path = prefix.Length == 0 ? name : prefix + "." + name;
                if (child is nn.Module<Tensor, Tensor> hookable)
                    modules.Add(path, hookable);
                Visit(child, path);
            }
        }
        Visit(model, "");
        return modules;
    }

    /// <summary>
    /// Name, kind, units and output shape of every layer the forward pass reaches, in
    /// <c>named_modules()</c> order, and the model's own output shape (without the batch
    /// dimension). <paramref name="inputShape"/> is [C, H, W].
    /// </summary>
    public static (IReadOnlyList<LayerInfo> Layers, int[] OutputShape) Describe(
        nn.Module<Tensor, Tensor> model, IReadOnlyList<int> inputShape, Device device)
    {
        var modules = HookableModules(model);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var capture = new ActivationCapture(model, modules.Keys);
        long[] batchShape = [1, .. inputShape.Select(d => (long)d)];
        var modelOutput = model.call(torch.zeros(batchShape, device: device));

        var layers = new List<LayerInfo>();
        foreach (var (name, module) in modules)
        {
            if (!capture.TryGet(name, out var output)) continue; // defined but not used by forward
            int[] shape = [.. output.shape.Skip(1).Select(d => (int)d)];
            layers.Add(new LayerInfo(name, KindOf(module), shape.Length > 0 ? shape[0] : 1, shape));
        }
        return (layers, [.. modelOutput.shape.Skip(1).Select(d => (int)d)]);
    }

    /// <summary>
    /// What the layer is: the module's own answer when it has one (<see cref="INamedKind"/>, e.g. an
    /// ONNX op type), else its class name, which is PyTorch's for TorchSharp's built-in layers.
    /// </summary>
    public static string KindOf(nn.Module module) => module is INamedKind { Kind.Length: > 0 } named ? named.Kind : module.GetType().Name;

    public static UnitScopeException UnknownLayer(string name, IEnumerable<string> known)
    {
        var names = known.ToList();
        var close = names
            .OrderBy(n => EditDistance(n, name))
            .Take(5);
        return new UnitScopeException(EngineErrorKind.UnknownLayer,
            $"Unknown layer '{name}'. The model has {names.Count} layers; closest: {string.Join(", ", close)}.");
    }

    static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1),
                                      previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
