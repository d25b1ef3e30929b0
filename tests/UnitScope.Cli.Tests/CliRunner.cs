using System.Text.Json;

namespace UnitScope.Cli.Tests;

/// <summary>What one run of the CLI gave.</summary>
sealed record CliRun(int Exit, string Out, string Err)
{
    public JsonElement Json => JsonDocument.Parse(Out).RootElement;

    public override string ToString() => $"exit {Exit}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>Runs <c>unitscope</c> in-process with captured stdout/stderr, from the repository root.</summary>
static class Cli
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Repo(string relative) => Path.Combine(RepoRoot, relative.Replace('/', Path.DirectorySeparatorChar));

    public static CliRun Run(params string[] args) => RunAsync(args, CancellationToken.None).GetAwaiter().GetResult();

    public static async Task<CliRun> RunAsync(string[] args, CancellationToken ct)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await CliApp.RunAsync(args, new CliContext(stdout, stderr, colors: false), ct: ct);
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Backend.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>tests/fixtures/images/cli_reference.json (made by make_cli_reference.py with PyTorch).</summary>
sealed record ReferenceCase(string Name, string Model, string Image, string InputSize, string Mean, string Std,
    float[] Logits, float[] Probabilities, ReferenceMap UnitMap)
{
    static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    public static IReadOnlyList<ReferenceCase> All { get; } =
        JsonDocument.Parse(File.ReadAllText(Cli.Repo("tests/fixtures/images/cli_reference.json")))
            .RootElement.GetProperty("cases").Deserialize<ReferenceCase[]>(Options)!;

    public static ReferenceCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>The model options that reproduce the reference preprocessing.</summary>
    public string[] ModelArgs => ["--input-size", InputSize, "--mean", Mean, "--std", Std, "--device", "cpu"];
}

sealed record ReferenceMap(string Layer, int Unit, int[] Shape, float Min, float Max, float Mean);
