using System.Diagnostics;
using System.Text;

namespace UnitScope.Server.Tests.Support;

/// <summary>The built <c>unitscope serve</c> as a child process, spoken to over its stdin/stdout.</summary>
internal sealed class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    public LspClient Client { get; }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    private DaemonProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
        };
        _process.BeginErrorReadLine();
        Client = new LspClient(process.StandardInput.BaseStream, process.StandardOutput.BaseStream);
    }

    /// <param name="environment">Extra environment variables for the daemon (e.g. UNITSCOPE_CACHE).</param>
    public static DaemonProcess Start(IReadOnlyDictionary<string, string>? environment = null)
    {
        var cli = CliPath();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(cli);
        info.ArgumentList.Add("serve");
        info.Environment["UNITSCOPE_LOG"] = "debug";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        return new DaemonProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet"));
    }

    /// <summary>server/UnitScope.Cli/bin/&lt;the configuration these tests were built in&gt;/net10.0/unitscope.dll.</summary>
    public static string CliPath()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var path = Path.Combine(RepoPaths.Root, "server", "UnitScope.Cli", "bin", configuration, framework, "unitscope.dll");
        if (!File.Exists(path))
            throw new FileNotFoundException($"The CLI is not built at {path}; build tests/UnitScope.Server.Tests (it builds server/UnitScope.Cli first).", path);
        return path;
    }

    public bool HasExited => _process.HasExited;

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        await Client.DisposeAsync();
        _process.Dispose();
    }
}

internal static class RepoPaths
{
    public static string Root { get; } = Find();

    public static string Get(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Backend.sln"))) return dir.FullName;
        throw new InvalidOperationException("Backend.sln not found above the test directory.");
    }
}
