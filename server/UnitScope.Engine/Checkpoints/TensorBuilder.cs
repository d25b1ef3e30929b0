using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// Turns <see cref="TensorRef"/>s into contiguous CPU tensors that own their memory, PyTorch's way:
/// the base storage viewed with as_strided(size, stride, offset), then copied contiguous. Every planned view is
/// checked against its storage, and what reading them costs against <see cref="WeightBudget"/>, before any byte
/// is read; a storage is then read only as far as its tensors reach (a storage that declares 3 GB behind a
/// 7 KB tensor costs 7 KB), on first use, and freed after the last tensor that needs it; a storage used by one
/// tensor that covers it exactly is taken as is, without a copy.
/// </summary>
internal sealed class TensorBuilder : IDisposable
{
    readonly IStorageSource _source;
    readonly Dictionary<string, int> _usesLeft = new(StringComparer.Ordinal);
    /// <summary>Per root storage: how many of its elements the planned tensors reach.</summary>
    readonly Dictionary<string, long> _reach = new(StringComparer.Ordinal);
    readonly Dictionary<string, Tensor> _loaded = new(StringComparer.Ordinal);

    /// <param name="planned">Every tensor that will be built, so storages can be checked first and freed early.</param>
    /// <exception cref="CheckpointProblem">A view outside its storage, a storage the file does not hold as declared,
    /// or more to read than <see cref="WeightBudget"/> allows.</exception>
    public TensorBuilder(IStorageSource source, IEnumerable<TensorRef> planned)
    {
        _source = source;
        var roots = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
        // What will be allocated: every tensor built (a stride-0 view of one element can be a gigabyte), and the
        // storages read for them.
        long total = 0;
        foreach (var t in planned)
        {
            _usesLeft[t.Storage.Key] = _usesLeft.GetValueOrDefault(t.Storage.Key) + 1;
            long end = Reach(t);
            _reach[t.Storage.Key] = Math.Max(_reach.GetValueOrDefault(t.Storage.Key), end);
            roots[t.Storage.Key] = t.Storage with { View = null };
            total = checked(total + Numel(t) * t.Storage.Dtype.ElementSize);
        }
        foreach (var (key, reach) in _reach)
        {
            var root = roots[key];
            _source.Check(root, reach);
            total = checked(total + reach * root.Dtype.ElementSize);
        }
        WeightBudget.CheckTotal(total);
    }

    public Tensor Build(TensorRef t)
    {
        var storage = t.Storage;
        var (start, _) = storage.Span;
        long numel = Numel(t);
        try
        {
            if (numel == 0)
                return empty(t.Size, storage.Dtype.ScalarType);
            var data = StorageTensor(storage);
            bool sole = _usesLeft.GetValueOrDefault(storage.Key) <= 1;
            using var view = data.as_strided(t.Size, t.Stride, start + t.Offset);
            if (sole && start + t.Offset == 0 && numel == data.NumberOfElements && view.is_contiguous())
                return data.reshape(t.Size);
            return view.is_contiguous() ? view.clone() : view.contiguous();
        }
        finally
        {
            Release(storage.Key);
        }
    }

    /// <summary>
    /// Checks that every element the view reaches lies inside its storage; returns how many elements of the root
    /// storage it needs (one past the last it reaches; 0 for an empty tensor).
    /// </summary>
    static long Reach(TensorRef t)
    {
        var (start, available) = t.Storage.Span;
        string shape = "[" + string.Join(", ", t.Size) + "]";
        if (t.Size.Length != t.Stride.Length)
            throw CheckpointProblem.Corrupt($"a tensor of shape {shape} has {t.Stride.Length} strides");
        if (t.Offset < 0 || t.Size.Any(s => s < 0) || t.Stride.Any(s => s < 0))
            throw CheckpointProblem.Corrupt($"a tensor of shape {shape} has a negative size, stride or offset");
        try
        {
            if (Numel(t) == 0)
                return 0;
            long last = t.Offset;
            for (int i = 0; i < t.Size.Length; i++)
                last = checked(last + (t.Size[i] - 1) * t.Stride[i]);
            if (last >= available)
                throw CheckpointProblem.Corrupt(
                    $"a tensor of shape {shape} (offset {t.Offset}, strides [{string.Join(", ", t.Stride)}]) reaches element {last} of storage {t.Storage.Key}, which holds {available}");
            return checked(start + last + 1);
        }
        catch (OverflowException)
        {
            throw CheckpointProblem.Corrupt($"a tensor of shape {shape} is too large");
        }
    }

    static long Numel(TensorRef t)
    {
        long numel = 1;
        foreach (long s in t.Size)
            numel = checked(numel * s);
        return numel;
    }

    Tensor StorageTensor(StorageRef storage)
    {
        if (!_loaded.TryGetValue(storage.Key, out var data))
        {
            data = _source.Load(storage with { View = null }, _reach[storage.Key]);
            _loaded[storage.Key] = data;
        }
        return data;
    }

    void Release(string key)
    {
        int left = _usesLeft.GetValueOrDefault(key) - 1;
        _usesLeft[key] = left;
        if (left <= 0 && _loaded.Remove(key, out var data))
            data.Dispose();
    }

    public void Dispose()
    {
        foreach (var data in _loaded.Values) data.Dispose();
        _loaded.Clear();
    }
}
