using System.Numerics;
using TorchSharp;
using UnitScope.Engine.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// Finds the state_dict in what a PyTorch pickle holds: a bare (Ordered)dict of name → tensor, or a
/// training checkpoint holding one under state_dict / model_state_dict / model. The checkpoint's
/// scalar entries (int, float, str, bool, 0-d tensor) become <see cref="StateDict.Metadata"/>, and so do
/// the scalar attributes of an argparse.Namespace entry, as "args.arch";
/// everything else beside the weights (optimizer state …) is ignored and never read from disk.
/// A DataParallel/DDP "module." prefix is stripped when every key has it. Nothing is read before every tensor has
/// been checked against its storage and the budget (<see cref="TensorBuilder"/>) and the caller has seen the
/// outline (<see cref="CheckpointOutline"/>): only the scalar entries' few bytes come first.
/// </summary>
internal static class StateDictExtractor
{
    static readonly string[] WrapperKeys = ["state_dict", "model_state_dict", "model"];
    const string DataParallelPrefix = "module.";

    public static StateDict Extract(object? root, IStorageSource source, string format, Action<CheckpointOutline>? beforeWeights = null)
    {
        if (root is not PyDict top)
            throw CheckpointProblem.Corrupt(root is TensorRef
                ? "the file holds a single tensor, not a state_dict"
                : $"the file holds a {PyTypes.Describe(root)}, not a state_dict");

        PyDict weights = top;
        string? wrapper = null;
        foreach (string key in WrapperKeys)
        {
            if (top.TryGet(key, out var inner) && inner is PyDict dict)
            {
                weights = dict;
                wrapper = key;
                break;
            }
        }

        var tensors = weights.Entries
            .Where(e => e.Key is string && e.Value is TensorRef)
            .Select(e => (Name: (string)e.Key!, Ref: (TensorRef)e.Value!))
            .ToList();
        if (wrapper is null && tensors.Count == 0 && top.Count > 0)
            throw CheckpointProblem.Corrupt(
                "no state_dict found: the file holds a dict without tensors and without a state_dict, model_state_dict or model entry (keys: "
                + string.Join(", ", top.Entries.Take(10).Select(e => PyTypes.AsText(e.Key) ?? PyTypes.Describe(e.Key))) + ")");

        var metadata = top.Entries
            .Where(e => e.Key is string k && k != wrapper)
            .SelectMany(e => e.Value is PyNamespace ns
                ? ns.Attributes.Entries.Where(a => a.Key is string).Select(a => (Name: $"{e.Key}.{a.Key}", a.Value))
                : [(Name: (string)e.Key!, e.Value)])
            .Where(e => IsMetadata(e.Value, wrapped: wrapper is not null))
            .ToList();

        bool strip = tensors.Count > 0 && tensors.All(t => t.Name.StartsWith(DataParallelPrefix, StringComparison.Ordinal));
        var planned = tensors.Select(t => t.Ref).Concat(metadata.Select(m => m.Value).OfType<TensorRef>());

        var result = new StateDict(format);
        try
        {
            using var builder = new TensorBuilder(source, planned);
            foreach (var (name, value) in metadata)
                result.Metadata[name] = value is TensorRef t ? ScalarText(builder, t) : PythonText.Of(value);
            if (beforeWeights is not null)
            {
                var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
                foreach (var (name, tensorRef) in tensors)
                    shapes.TryAdd(strip ? name[DataParallelPrefix.Length..] : name, tensorRef.Size);
                beforeWeights(new CheckpointOutline(format, shapes, result.Metadata));
            }
            foreach (var (name, tensorRef) in tensors)
                result.Add(strip ? name[DataParallelPrefix.Length..] : name, builder.Build(tensorRef).DetachFromDisposeScope());
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>0-d tensors count as metadata (best_acc1 = tensor(76.5)) only beside a wrapped state_dict;
    /// in a bare one they are weights (num_batches_tracked).</summary>
    static bool IsMetadata(object? value, bool wrapped) =>
        value is string or long or BigInteger or double or bool || (wrapped && value is TensorRef { IsScalar: true });

    static string ScalarText(TensorBuilder builder, TensorRef t)
    {
        using var scalar = builder.Build(t);
        return scalar.dtype switch
        {
            ScalarType.Bool => PythonText.Of(scalar.item<bool>()),
            ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16 =>
                PythonText.Of(scalar.to_type(ScalarType.Float64).item<double>()),
            _ => PythonText.Of(scalar.to_type(ScalarType.Int64).item<long>()),
        };
    }
}
