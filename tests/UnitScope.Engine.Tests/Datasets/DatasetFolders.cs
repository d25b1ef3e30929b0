namespace UnitScope.Engine.Tests.Datasets;

/// <summary>The committed Broden-format fixture (tests/fixtures/broden_mini, made by its make_broden_mini.py)
/// and scratch folders for damaged copies and generated sets.</summary>
internal static class DatasetFolders
{
    static readonly Lazy<string> Fixtures = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "broden_mini");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures/broden_mini not found above " + AppContext.BaseDirectory);
    });

    public static string BrodenMini => Fixtures.Value;

    /// <summary>A copy of broden_mini that a test may damage.</summary>
    public static TempFolder CopyOfBrodenMini()
    {
        var temp = new TempFolder();
        foreach (string file in Directory.EnumerateFiles(BrodenMini, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(temp.Path, Path.GetRelativePath(BrodenMini, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return temp;
    }

    /// <summary>All files under <paramref name="root"/>: relative path → bytes.</summary>
    public static SortedDictionary<string, byte[]> Snapshot(string root) =>
        new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes), StringComparer.Ordinal);
}

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "unitscope-datasets-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
