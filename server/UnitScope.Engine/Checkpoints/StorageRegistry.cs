using UnitScope.Engine.Checkpoints.Pickle;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// The persistent-id loader for PyTorch pickles: turns ('storage', torch.FloatStorage, key,
/// location, numel[, view]) into a <see cref="StorageRef"/> and checks that every mention of a
/// key agrees on its dtype and size. Holds no data: storages are read only when a tensor needs one.
/// </summary>
internal sealed class StorageRegistry
{
    readonly Dictionary<string, StorageRef> _roots = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, StorageRef> Roots => _roots;

    /// <summary>For <see cref="Unpickler.Load"/>.</summary>
    public object? PersistentLoad(object? pid)
    {
        if (pid is not PyTuple { Count: >= 5 } t)
            throw CheckpointProblem.Corrupt($"unexpected persistent id ({PyTypes.Describe(pid)})");
        string? typename = PyTypes.AsText(t[0]);
        if (typename == "module")
            throw new CheckpointProblem(EngineErrorKind.UnsafeCheckpoint,
                "refused to load: the file is a whole pickled model (torch.save(model)); save model.state_dict() instead");
        if (typename != "storage")
            throw CheckpointProblem.Corrupt($"unknown persistent id type '{typename}'");
        if (t[1] is not StorageType type)
            throw CheckpointProblem.Corrupt($"storage type is a {PyTypes.Describe(t[1])}, expected a torch.*Storage");
        string key = t[2] switch
        {
            long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
            var k => PyTypes.AsText(k) ?? throw CheckpointProblem.Corrupt($"storage key is a {PyTypes.Describe(k)}"),
        };
        long numel = PyTypes.ToLong(t[4], $"size of storage {key}");
        if (numel < 0)
            throw CheckpointProblem.Corrupt($"storage {key} declares a negative size");
        var root = Register(new StorageRef(key, type.Dtype, numel, null));

        if (t.Count < 6 || t[5] is null)
            return root;
        // Legacy views: (view_key, offset, view_size) in elements of the root storage.
        if (t[5] is not PyTuple { Count: 3 } view)
            throw CheckpointProblem.Corrupt($"storage {key} has malformed view metadata");
        string viewKey = PyTypes.AsText(view[0]) ?? PyTypes.ToLong(view[0], "view key").ToString(System.Globalization.CultureInfo.InvariantCulture);
        long offset = PyTypes.ToLong(view[1], "view offset"), size = PyTypes.ToLong(view[2], "view size");
        if (offset < 0 || size < 0 || offset > numel || size > numel - offset)
            throw CheckpointProblem.Corrupt($"storage view {viewKey} (offset {offset}, size {size}) lies outside storage {key} of {numel} elements");
        return root with { View = new StorageView(viewKey, offset, size) };
    }

    StorageRef Register(StorageRef storage)
    {
        if (!_roots.TryGetValue(storage.Key, out var known))
        {
            _roots[storage.Key] = storage;
            return storage;
        }
        if (known.Dtype != storage.Dtype || known.Numel != storage.Numel)
            throw CheckpointProblem.Corrupt(
                $"storage {storage.Key} is declared both as {known.Numel} × {known.Dtype.Name} and as {storage.Numel} × {storage.Dtype.Name}");
        return known;
    }
}
