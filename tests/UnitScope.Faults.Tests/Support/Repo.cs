namespace UnitScope.Faults.Tests.Support;

/// <summary>Paths in the repository, and the CLI the suite attacks.</summary>
internal static class Repo
{
    public static string Root { get; } = Find();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>UNITSCOPE_FAULTS_CLI, else server/UnitScope.Cli/bin/&lt;this build's configuration&gt;/net10.0/unitscope.dll.</summary>
    public static string Cli
    {
        get
        {
            if (Environment.GetEnvironmentVariable("UNITSCOPE_FAULTS_CLI") is { Length: > 0 } other) return other;
            var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
            var path = Path("server", "UnitScope.Cli", "bin", testBin.Parent!.Name, testBin.Name, "unitscope.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The CLI is not built at {path}.", path);
        }
    }

    /// <summary>UNITSCOPE_FAULTS_BASELINE=1: the CLI under attack predates --token-file (its TCP daemon takes --token).</summary>
    public static bool Baseline => Environment.GetEnvironmentVariable("UNITSCOPE_FAULTS_BASELINE") == "1";

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
        throw new InvalidOperationException("Backend.sln not found above the test directory.");
    }
}
