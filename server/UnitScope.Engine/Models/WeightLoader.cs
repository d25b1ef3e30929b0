using System.Text;
using TorchSharp;
using UnitScope.Engine.Checkpoints;
using static TorchSharp.torch;

namespace UnitScope.Engine.Models;

/// <summary>
/// Copies a checkpoint into a model strictly: every parameter and buffer must be present with its
/// shape and nothing may be left over, else one error lists every offending key.
/// </summary>
public static class WeightLoader
{
    const int ListedPerKind = 12;

    /// <summary>
    /// Buffers that checkpoints written before PyTorch 0.4.1 lack; a missing one keeps the model's value
    /// (it only matters for training with momentum=None).
    /// </summary>
    static bool MayBeAbsent(string key) => key.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    public static void Load(nn.Module model, StateDict checkpoint, string architecture)
    {
        CheckFits(model, checkpoint.Entries.ToDictionary(e => e.Key, e => e.Value.shape, StringComparer.Ordinal), architecture);
        var expected = model.state_dict();
        using var _ = torch.no_grad();
        foreach (var (key, target) in expected)
        {
            if (checkpoint.TryGet(key, out var source))
                target.copy_(source);
        }
    }

    /// <summary>
    /// Throws unless tensors of these names and shapes (a checkpoint's, before its weights are read:
    /// <see cref="CheckpointReader.ReadOutline"/>) load into <paramref name="model"/> strictly.
    /// </summary>
    /// <exception cref="UnitScopeException">ArchitectureMismatch listing every offending key.</exception>
    public static void CheckFits(nn.Module model, IReadOnlyDictionary<string, long[]> shapes, string architecture)
    {
        var expected = model.state_dict();
        var missing = expected.Keys.Where(k => !shapes.ContainsKey(k) && !MayBeAbsent(k)).ToList();
        var unexpected = shapes.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var wrongShape = expected
            .Where(e => shapes.TryGetValue(e.Key, out var shape) && !shape.SequenceEqual(e.Value.shape))
            .Select(e => $"{e.Key}: checkpoint {Shape(shapes[e.Key])}, {architecture} {Shape(e.Value.shape)}")
            .ToList();

        if (missing.Count + unexpected.Count + wrongShape.Count > 0)
            throw new UnitScopeException(EngineErrorKind.ArchitectureMismatch,
                Describe(architecture, shapes.Count, missing, unexpected, wrongShape));
    }

    static string Describe(string architecture, int keyCount, List<string> missing, List<string> unexpected, List<string> wrongShape)
    {
        var message = new StringBuilder($"The checkpoint ({keyCount} tensors) does not fit {architecture}:");
        Append(message, "missing from the checkpoint", missing);
        Append(message, "not in " + architecture, unexpected);
        Append(message, "with a different shape", wrongShape);
        message.Length--; // the last list's ';'
        message.Append('.');
        return message.ToString();
    }

    static void Append(StringBuilder message, string what, List<string> keys)
    {
        if (keys.Count == 0) return;
        message.Append($" {keys.Count} {what}: {string.Join(", ", keys.Take(ListedPerKind))}");
        if (keys.Count > ListedPerKind) message.Append($", and {keys.Count - ListedPerKind} more");
        message.Append(';');
    }

    static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
