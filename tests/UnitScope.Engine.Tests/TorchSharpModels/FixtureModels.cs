using System.Diagnostics;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.TorchSharpModels;

/// <summary>
/// tests/fixtures/torchsharp_models (C# models as a user writes them), built once per test run:
/// the folder is copied out of the repository (so its Directory.*.props do not apply) and built
/// with <c>dotnet build</c> against the TorchSharp.dll these tests run on. Nothing built is committed.
/// </summary>
internal static class FixtureModels
{
    public static readonly string SourceFolder = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "torchsharp_models");

    /// <summary>The single source file (what loading from a .cs compiles).</summary>
    public static readonly string SourceFile = Path.Combine(SourceFolder, "Models.cs");

    static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The built FixtureModels.dll.</summary>
    public static string Assembly => Built.Value;

    static string Build()
    {
        string root = Path.Combine(Path.GetTempPath(), $"unitscope-fixture-models-{Environment.ProcessId}");
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        string project = Path.Combine(root, "src");
        Directory.CreateDirectory(project);
        foreach (string file in Directory.GetFiles(SourceFolder))
            File.Copy(file, Path.Combine(project, Path.GetFileName(file)));
        string output = Path.Combine(root, "bin");

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in (string[])["build", "-nologo", "-v", "q", "-c", "Release", "-o", output,
                     $"-p:TorchSharpDll={typeof(TorchSharp.torch).Assembly.Location}"])
            start.ArgumentList.Add(arg);
        // The test host's MSBuild settings would point the child build at the wrong SDK pieces.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)
                     || k.Equals("MSBuildExtensionsPath", StringComparison.OrdinalIgnoreCase)
                     || k.Equals("MSBuildSDKsPath", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet build of the fixture models took more than 5 minutes");
        }
        string dll = Path.Combine(output, "FixtureModels.dll");
        if (process.ExitCode != 0 || !File.Exists(dll))
            throw new InvalidOperationException($"dotnet build of the fixture models failed ({process.ExitCode}):\n{stdout.Result}\n{stderr.Result}");
        return dll;
    }
}
