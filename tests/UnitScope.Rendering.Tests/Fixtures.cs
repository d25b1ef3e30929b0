using System.Text.Json;

namespace UnitScope.Rendering.Tests;

/// <summary>tests/fixtures/images, made by make_fixtures.py with PIL/torchvision/PyTorch.</summary>
static class Fixtures
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Images => Path.Combine(RepoRoot, "tests", "fixtures", "images");

    public static string Image(string name) => Path.Combine(Images, name);

    static readonly Lazy<JsonElement> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Image("reference.json"))).RootElement);

    public static JsonElement Ref(string name) => Reference.Value.GetProperty(name);

    /// <summary>A nested JSON array of numbers, flattened in row-major order.</summary>
    public static float[] Flat(JsonElement array)
    {
        var values = new List<float>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array)
                foreach (var child in e.EnumerateArray()) Walk(child);
            else
                values.Add(e.GetSingle());
        }
        Walk(array);
        return values.ToArray();
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
    }
}
