using System.Text.Json;

namespace UnitScope.Engine.Tests.Checkpoints;

/// <summary>The committed files made by tests/fixtures/make_checkpoint_fixtures.py.</summary>
internal static class CheckpointFixtures
{
    /// <summary>The file the malicious fixtures would create if anything ran their pickle.</summary>
    public const string ExecutionMarker = "/tmp/unitscope-pickle-was-executed.marker";

    static readonly Lazy<string> Folder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "tests", "fixtures", "checkpoints");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/checkpoints not found above " + AppContext.BaseDirectory);
    });

    public static string Path(string name) => System.IO.Path.Combine(Folder.Value, name);

    public static Expected Expected(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path(name + ".expected.json")));
        var root = doc.RootElement;
        var tensors = new Dictionary<string, ExpectedTensor>();
        foreach (var t in root.GetProperty("tensors").EnumerateObject())
        {
            string dtype = t.Value.GetProperty("dtype").GetString()!;
            bool floating = dtype.StartsWith("float", StringComparison.Ordinal) || dtype == "bfloat16";
            var values = t.Value.GetProperty("values").EnumerateArray().ToList();
            tensors[t.Name] = new ExpectedTensor(
                t.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                dtype,
                floating ? values.Select(v => v.GetDouble()).ToArray() : null,
                floating ? null : values.Select(v => v.GetInt64()).ToArray());
        }
        return new Expected(
            root.GetProperty("format").GetString()!,
            root.GetProperty("sha256").GetString()!,
            root.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToArray(),
            tensors,
            root.GetProperty("metadata").EnumerateObject().ToDictionary(m => m.Name, m => m.Value.GetString()!));
    }
}

internal sealed record Expected(string Format, string Sha256, string[] Keys, Dictionary<string, ExpectedTensor> Tensors, Dictionary<string, string> Metadata);

/// <summary>PyTorch's own numbers: floats as doubles (exact for every float dtype), the rest as int64.</summary>
internal sealed record ExpectedTensor(long[] Shape, string Dtype, double[]? Floats, long[]? Integers);
