using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// Turns <see cref="TensorRef"/>s into contiguous CPU tensors that own their memory, PyTorch's way:
/// the base storage viewed with as_strided(size, stride, offset), then copied contiguous. Storages are
/// loaded on first use and freed after the last tensor that needs them; a storage used by one tensor
/// that covers it exactly is taken as is, without a copy.
/// </summary>
internal sealed class TensorBuilder : IDisposable
{
    readonly IStorageSource _source;
    readonly Dictionary<string, int> _usesLeft = new(StringComparer.Ordinal);
    readonly Dictionary<string, Tensor> _loaded = new(StringComparer.Ordinal);

    /// <param name="planned">Every tensor that will be built, so storages can be freed early.</param>
    public TensorBuilder(IStorageSource source, IEnumerable<TensorRef> planned)
    {
        _source = source;
        foreach (var t in planned)
            _usesLeft[t.Storage.Key] = _usesLeft.GetValueOrDefault(t.Storage.Key) + 1;
    }

    public Tensor Build(TensorRef t)
    {
        var storage = t.Storage;
        var (start, available) = storage.Span;
        long numel = Validate(t, available);
        try
        {
            if (numel == 0)
                return empty(t.Size, storage.Dtype.ScalarType);
            var data = StorageTensor(storage);
            bool sole = _usesLeft.GetValueOrDefault(storage.Key) <= 1;
            using var view = data.as_strided(t.Size, t.Stride, start + t.Offset);
            if (sole && start + t.Offset == 0 && numel == storage.Numel && view.is_contiguous())
                return data.reshape(t.Size);
            return view.is_contiguous() ? view.clone() : view.contiguous();
        }
        finally
        {
            Release(storage.Key);
        }
    }

    /// <summary>Checks that every element the view reaches lies inside its storage; returns the numel.</summary>
    static long Validate(TensorRef t, long available)
    {
        string shape = "[" + string.Join(", ", t.Size) + "]";
        if (t.Size.Length != t.Stride.Length)
            throw CheckpointProblem.Corrupt($"a tensor of shape {shape} has {t.Stride.Length} strides");
        if (t.Offset < 0 || t.Size.Any(s => s < 0) || t.Stride.Any(s => s < 0))
            throw CheckpointProblem.Corrupt($"a tensor of shape {shape} has a negative size, stride or offset");
        try
        {
            long numel = 1, last = t.Offset;
            for (int i = 0; i < t.Size.Length; i++)
                numel = checked(numel * t.Size[i]);
            if (numel == 0)
                return 0;
            for (int i = 0; i < t.Size.Length; i++)
                last = checked(last + (t.Size[i] - 1) * t.Stride[i]);
            if (last >= available)
                throw CheckpointProblem.Corrupt(
                    $"a tensor of shape {shape} (offset {t.Offset}, strides [{string.Join(", ", t.Stride)}]) reaches element {last} of storage {t.Storage.Key}, which holds {available}");
            return numel;
        }
        catch (OverflowException)
        {
            throw CheckpointProblem.Corrupt($"a tensor of shape {shape} is too large");
        }
    }

    Tensor StorageTensor(StorageRef storage)
    {
        if (!_loaded.TryGetValue(storage.Key, out var data))
        {
            var root = storage with { View = null };
            data = _source.Load(root);
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
