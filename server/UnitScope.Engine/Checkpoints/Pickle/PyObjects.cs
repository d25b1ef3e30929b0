namespace UnitScope.Engine.Checkpoints.Pickle;

// The values a restricted unpickle can produce. Plain Python scalars map to C# ones:
// None → null, bool → bool, int → long (or BigInteger when it does not fit), float → double,
// str → string, bytes → byte[]. Containers and the few allowed globals get the types below.

/// <summary>A Python tuple.</summary>
internal sealed class PyTuple(IReadOnlyList<object?> items)
{
    public static readonly PyTuple Empty = new([]);
    public IReadOnlyList<object?> Items { get; } = items;
    public int Count => Items.Count;
    public object? this[int i] => Items[i];
}

/// <summary>A Python list (sets and frozensets are read as lists too: order does not matter here).</summary>
internal sealed class PyList
{
    public List<object?> Items { get; } = new();
}

/// <summary>A Python dict or OrderedDict, in insertion order.</summary>
internal sealed class PyDict
{
    static readonly object NoneKey = new();
    readonly List<KeyValuePair<object?, object?>> _entries = new();
    readonly Dictionary<object, int> _index = new();

    public IReadOnlyList<KeyValuePair<object?, object?>> Entries => _entries;
    public int Count => _entries.Count;

    public void Set(object? key, object? value)
    {
        var k = key ?? NoneKey;
        if (_index.TryGetValue(k, out int i))
            _entries[i] = new(key, value);
        else
        {
            _index[k] = _entries.Count;
            _entries.Add(new(key, value));
        }
    }

    public bool TryGet(object? key, out object? value)
    {
        if (_index.TryGetValue(key ?? NoneKey, out int i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = null;
        return false;
    }
}

/// <summary>
/// An argparse.Namespace (training scripts store their command-line arguments in checkpoints):
/// an inert bag of attributes set by BUILD; its scalar attributes become metadata.
/// </summary>
internal sealed class PyNamespace
{
    public PyDict Attributes { get; } = new();
}

/// <summary>An allowed global that REDUCE/NEWOBJ may call (see <see cref="AllowedGlobals"/>).</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>torch.FloatStorage and friends: only ever an argument of a persistent id.</summary>
internal sealed record StorageType(TorchDtype Dtype);
