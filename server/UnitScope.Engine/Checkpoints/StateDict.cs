using TorchSharp;
using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// Parameters and buffers read from a checkpoint, in file order, on the CPU, keyed by their
/// PyTorch names (DataParallel's <c>module.</c> prefix already stripped). Owns its tensors.
/// </summary>
public sealed class StateDict : IDisposable
{
    readonly List<KeyValuePair<string, Tensor>> _entries = new();
    readonly Dictionary<string, Tensor> _byName = new(StringComparer.Ordinal);

    /// <param name="format">How the file was stored, e.g. "pytorch-zip", "pytorch-legacy", "safetensors".</param>
    public StateDict(string format) => Format = format;

    public string Format { get; }

    /// <summary>Scalar entries stored beside the weights (epoch, best_prec1, arch, …), as text.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public int Count => _entries.Count;
    public IEnumerable<string> Keys => _entries.Select(e => e.Key);
    public IReadOnlyList<KeyValuePair<string, Tensor>> Entries => _entries;
    public Tensor this[string name] => _byName[name];
    public bool TryGet(string name, out Tensor tensor) => _byName.TryGetValue(name, out tensor!);
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Takes ownership of <paramref name="tensor"/>.</summary>
    public void Add(string name, Tensor tensor)
    {
        if (!_byName.TryAdd(name, tensor))
            throw new UnitScopeException(EngineErrorKind.CorruptCheckpoint, $"The checkpoint holds '{name}' twice.");
        _entries.Add(new(name, tensor));
    }

    public void Dispose()
    {
        foreach (var (_, tensor) in _entries) tensor.Dispose();
        _entries.Clear();
        _byName.Clear();
    }
}
