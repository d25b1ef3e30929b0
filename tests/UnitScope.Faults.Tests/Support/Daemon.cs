using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Faults.Tests.Support;

/// <summary>
/// <c>unitscope serve</c> as a child process, on stdio or on 127.0.0.1, in a workspace of its own (a copy of the
/// sample model and images, which is also a TCP daemon's root) with a cache folder of its own.
/// </summary>
public sealed partial class Daemon : IAsyncDisposable
{
    /// <summary>How long a request that should be answered at once may take: generous, for a loaded machine.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<IAsyncDisposable> _clients = [];

    /// <summary>The folder the daemon runs in: m.pth (the sample SmallCNN), images/*.png.</summary>
    public string Workspace { get; }
    public string Cache { get; }
    public string Token { get; } = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
    /// <summary>The stdio client (null for TCP).</summary>
    public LspClient? Stdio { get; }
    public string Checkpoint => System.IO.Path.Combine(Workspace, "m.pth");
    public string Image(string name = "cross.png") => System.IO.Path.Combine(Workspace, "images", name);
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    public int Pid => _process.Id;
    public bool Alive => !_process.HasExited;

    private Daemon(bool tcp, string[] args, IReadOnlyDictionary<string, string>? environment)
    {
        Workspace = Directory.CreateTempSubdirectory("unitscope-faults-").FullName;
        Cache = System.IO.Path.Combine(Workspace, ".cache");
        File.Copy(Repo.Path("samples", "smallcnn.pth"), Checkpoint);
        Directory.CreateDirectory(System.IO.Path.Combine(Workspace, "images"));
        foreach (var png in Directory.GetFiles(Repo.Path("samples", "images"), "*.png"))
            File.Copy(png, System.IO.Path.Combine(Workspace, "images", System.IO.Path.GetFileName(png)));

        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Workspace,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Repo.Cli);
        info.ArgumentList.Add("serve");
        if (tcp)
        {
            info.ArgumentList.Add("--tcp");
            info.ArgumentList.Add("0");
            if (Repo.Baseline)
            {
                info.ArgumentList.Add("--token");
                info.ArgumentList.Add(Token);
            }
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["UNITSCOPE_LOG"] = "info";
        info.Environment["UNITSCOPE_CACHE"] = Cache;
        info.Environment["UNITSCOPE_TOKEN"] = Token;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr) _stderr.AppendLine(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m) _port.TrySetResult(int.Parse(m.Groups[1].Value));
        };
        _process.BeginErrorReadLine();
        if (!tcp) Stdio = new LspClient(_process.StandardInput.BaseStream, _process.StandardOutput.BaseStream);
    }

    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();

    /// <summary>A stdio daemon, initialized, with the sample model loaded.</summary>
    public static async Task<(Daemon Daemon, string ModelId)> StdioWithModelAsync(params string[] args)
    {
        var d = new Daemon(tcp: false, args, null);
        await InitializeAsync(d.Stdio!, token: null);
        return (d, await d.LoadAsync(d.Stdio!));
    }

    /// <summary>A TCP daemon on a free port (the workspace its root, unless <paramref name="args"/> say otherwise).</summary>
    public static async Task<Daemon> TcpAsync(params string[] args)
    {
        var d = new Daemon(tcp: true, args, null);
        await d._port.Task.WaitAsync(TimeSpan.FromSeconds(60));
        return d;
    }

    public int Port => _port.Task.Result;

    /// <summary>A socket to the TCP daemon, not yet authenticated.</summary>
    public async Task<TcpClient> SocketAsync()
    {
        var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", Port);
        return socket;
    }

    /// <summary>An authenticated TCP client (closed with the daemon).</summary>
    public async Task<LspClient> ClientAsync()
    {
        var socket = await SocketAsync();
        var stream = socket.GetStream();
        var client = new LspClient(stream, stream);
        _clients.Add(client);
        _clients.Add(new Closer(socket));
        await InitializeAsync(client, Token);
        return client;
    }

    private static async Task InitializeAsync(LspClient client, string? token)
    {
        await client.CallAsync<InitializeResult>(Methods.Initialize,
            new InitializeParams(ProcessId: null, InitializationOptions: new InitializationOptions(token)), TimeSpan.FromSeconds(60));
        await client.NotifyAsync(Methods.Initialized, new { });
    }

    public async Task<string> LoadAsync(LspClient client) =>
        (await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(Checkpoint), TimeSpan.FromSeconds(120))).ModelId;

    /// <summary>
    /// What every case ends with: the process is up, answers promptly, still has the model it had, and runs it.
    /// </summary>
    public async Task SurvivedAsync(LspClient client, string modelId)
    {
        Alive.Should().BeTrue($"the daemon must survive; its log:\n{Tail()}");
        var models = await client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams(), Patience);
        models.Models.Select(m => m.ModelId).Should().Contain(modelId, "no model is lost");
        var prediction = await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(modelId, Image()), Patience);
        prediction.Top.Should().NotBeEmpty();
    }

    /// <summary>Resident memory now and at its peak, in MB (/proc/PID/status).</summary>
    public (double Now, double Peak) MemoryMb()
    {
        var status = File.ReadAllLines($"/proc/{Pid}/status");
        double Field(string name) => long.Parse(status.First(l => l.StartsWith(name + ":")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return (Field("VmRSS"), Field("VmHWM"));
    }

    /// <summary>Starts the peak (VmHWM) over from the resident memory now, so a case measures its own peak.</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{Pid}/clear_refs", "5");

    public string Tail(int lines = 30) => string.Join('\n', Stderr.Split('\n').TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) await c.DisposeAsync();
        if (Stdio is not null) await Stdio.DisposeAsync();
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        _process.Dispose();
        try { Directory.Delete(Workspace, recursive: true); } catch (IOException) { }
    }

    private sealed class Closer(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
