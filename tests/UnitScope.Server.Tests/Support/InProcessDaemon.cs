using Nerdbank.Streams;

namespace UnitScope.Server.Tests.Support;

/// <summary>The daemon on one end of an in-memory duplex stream, a raw client on the other.</summary>
internal sealed class InProcessDaemon : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly StringWriter _log = new();

    public FakeEngine Engine { get; } = new();
    public FakeDissection Dissection { get; } = new();
    public FakeAnalysis Analysis { get; } = new();
    public FakeEvolution Evolution { get; } = new();
    public LspClient Client { get; }
    /// <summary>The daemon's shared state (device gates, background summaries), for tests that watch it.</summary>
    public DaemonServices Services { get; }
    public Task<int> ExitCode { get; }
    public string Log => _log.ToString();
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "unitscope-tests", Guid.NewGuid().ToString("N"));

    public InProcessDaemon()
    {
        System.IO.Directory.CreateDirectory(Directory);
        var (serverSide, clientSide) = FullDuplexStream.CreatePair();
        var services = Services = new DaemonServices(new DaemonLog(TextWriter.Synchronized(_log), DaemonLogLevel.Debug), Engine, Engine, Engine, Dissection, Analysis, evolution: Evolution);
        ExitCode = DaemonHost.RunAsync(serverSide, serverSide, services, _cts.Token);
        Client = new LspClient(clientSide, clientSide);
    }

    /// <summary>A fake checkpoint file with this content ("ok", "corrupt", "unsafe", "crash", or anything).</summary>
    public string Checkpoint(string name, string content = "ok")
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public string Image(string name = "image.png")
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllBytes(path, "IMG..."u8.ToArray());
        return path;
    }

    /// <param name="capabilities">The client capabilities to advertise (e.g. <c>{ window = new { workDoneProgress = true } }</c>).</param>
    public async Task InitializeAsync(object? capabilities = null)
    {
        var caps = capabilities is null ? (System.Text.Json.JsonElement?)null : System.Text.Json.JsonSerializer.SerializeToElement(capabilities);
        await Client.CallAsync<UnitScope.Protocol.InitializeResult>("initialize", new UnitScope.Protocol.InitializeParams(ProcessId: null, Capabilities: caps));
        await Client.NotifyAsync("initialized", new { });
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        await ((Task)ExitCode).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Client.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
