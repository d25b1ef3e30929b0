using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Models;

/// <summary>
/// The names and shapes of a checkpoint's tensors: all an architecture needs to recognise itself
/// and read its widths (channels, hidden sizes, classes) without touching the weights.
/// </summary>
public sealed class ParameterShapes(IReadOnlyDictionary<string, long[]> shapes)
{
    public static ParameterShapes Of(StateDict stateDict) =>
        new(stateDict.Entries.ToDictionary(e => e.Key, e => e.Value.shape));

    public IReadOnlyCollection<string> Keys => (IReadOnlyCollection<string>)shapes.Keys;

    public bool Has(string key) => shapes.ContainsKey(key);

    /// <summary>Size of dimension <paramref name="axis"/> of <paramref name="key"/>, or <paramref name="fallback"/> when absent.</summary>
    public int Dim(string key, int axis, int fallback) =>
        shapes.TryGetValue(key, out var shape) && shape.Length > axis ? (int)shape[axis] : fallback;

    /// <summary>The largest N such that <c>{prefix}N.{suffix}</c> is a key, plus one; 0 when there is none.</summary>
    public int CountIndexed(string prefix, string suffix)
    {
        int count = 0;
        while (Has($"{prefix}{count}.{suffix}")) count++;
        return count;
    }

    /// <summary>Indices i for which <c>{prefix}i.{suffix}</c> is a key whose tensor has <paramref name="rank"/> dimensions, ascending.</summary>
    public IReadOnlyList<int> IndicesWith(string prefix, string suffix, int rank) =>
        shapes.Where(s => s.Value.Length == rank && s.Key.StartsWith(prefix, StringComparison.Ordinal)
                          && s.Key.EndsWith("." + suffix, StringComparison.Ordinal))
              .Select(s => s.Key[prefix.Length..^(suffix.Length + 1)])
              .Select(i => int.TryParse(i, out int n) ? n : -1)
              .Where(n => n >= 0)
              .Order()
              .ToList();
}
