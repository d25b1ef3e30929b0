using System.Globalization;
using System.Text.RegularExpressions;
using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>One checkpoint of a training run: where it is and when in training it was written.</summary>
/// <param name="Epoch">From an <c>epoch</c> entry beside the state_dict (or in safetensors metadata), else from the file name; null when neither says.</param>
/// <param name="Step">Likewise from <c>step</c> / <c>global_step</c> or the name.</param>
public sealed record RunCheckpoint(string Path, long? Epoch, long? Step);

/// <summary>
/// The checkpoints of a training run, found by a file pattern (<c>runs/exp1/*.pth</c>: a folder and a name pattern with
/// <c>*</c> and <c>?</c>) and put in training order: by epoch, then step, as the checkpoint's own entries say (read from
/// its outline: no weights are read), else as its name says (<c>epoch_12.pth</c>, <c>ckpt-step=3000.pt</c>, else the
/// last number in the name), then by name.
/// </summary>
public static partial class RunCheckpoints
{
    static readonly string[] Extensions = [".pth", ".pt", ".th", ".bin", ".safetensors", ".ckpt"];

    /// <exception cref="UnitScopeException">FileNotFound: the folder does not exist or nothing matches.</exception>
    public static IReadOnlyList<RunCheckpoint> Find(string pattern, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        string full = System.IO.Path.GetFullPath(pattern.Trim());
        string folder = System.IO.Path.GetDirectoryName(full)!;
        string name = System.IO.Path.GetFileName(full);
        if (!Directory.Exists(folder))
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"The run's folder '{folder}' does not exist.");
        var files = Directory.Exists(full)
            ? Directory.GetFiles(full).Where(f => Extensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            : Directory.GetFiles(folder, name);
        var found = files.Where(File.Exists).Select(f => Describe(f, ct)).ToList();
        if (found.Count == 0)
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"No checkpoint matches '{pattern}'.");
        return Order(found);
    }

    /// <summary>The checkpoints in training order (see the class).</summary>
    public static IReadOnlyList<RunCheckpoint> Order(IEnumerable<RunCheckpoint> checkpoints) =>
        [.. checkpoints.OrderBy(c => c.Epoch ?? long.MaxValue).ThenBy(c => c.Step ?? long.MaxValue)
            .ThenBy(c => System.IO.Path.GetFileName(c.Path), StringComparer.Ordinal)];

    /// <summary>A checkpoint's epoch and step from its entries, else its name. A file that cannot be read keeps the name's.</summary>
    public static RunCheckpoint Describe(string path, CancellationToken ct = default)
    {
        IReadOnlyDictionary<string, string> entries;
        try
        {
            entries = CheckpointReader.ReadOutline(path, ct).Metadata;
        }
        catch (UnitScopeException)
        {
            entries = new Dictionary<string, string>();
        }
        var (nameEpoch, nameStep) = FromName(System.IO.Path.GetFileNameWithoutExtension(path));
        long? epoch = Number(entries, "epoch") ?? nameEpoch;
        long? step = Number(entries, "step") ?? Number(entries, "global_step") ?? nameStep;
        return new RunCheckpoint(path, epoch, step);
    }

    /// <summary>"epoch_12" → (12, null); "ckpt-step=3000" → (null, 3000); "model7" → (7, null): a bare number counts as the epoch.</summary>
    public static (long? Epoch, long? Step) FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        long? epoch = Tagged(EpochTag(), name), step = Tagged(StepTag(), name);
        if (epoch is null && step is null && LastNumber().Match(name) is { Success: true } last && long.TryParse(last.Groups[1].Value, CultureInfo.InvariantCulture, out long n))
            epoch = n;
        return (epoch, step);
    }

    static long? Tagged(Regex tag, string name) =>
        tag.Match(name) is { Success: true } m && long.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out long n) ? n : null;

    static long? Number(IReadOnlyDictionary<string, string> entries, string key) =>
        entries.TryGetValue(key, out var text) && double.TryParse(text, CultureInfo.InvariantCulture, out double v) && v == Math.Floor(v) ? (long)v : null;

    [GeneratedRegex(@"(?i)(?<![a-z])(?:epoch|ep|e)[_\-=]?(\d+)")]
    private static partial Regex EpochTag();

    [GeneratedRegex(@"(?i)(?<![a-z])(?:global_step|step|iter|it)[_\-=]?(\d+)")]
    private static partial Regex StepTag();

    [GeneratedRegex(@"(\d+)(?!.*\d)")]
    private static partial Regex LastNumber();
}
