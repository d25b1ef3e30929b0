using System.Net;
using System.Net.Sockets;

namespace UnitScope.Server;

/// <summary>
/// The daemon's entry points. It speaks LSP-framed JSON-RPC (Content-Length headers): the LSP
/// lifecycle, document sync and hover, plus the <c>unitscope/*</c> methods of UnitScope.Protocol.
/// Logs go to stderr; the protocol stream carries nothing else.
/// </summary>
public static class DaemonHost
{
    /// <summary>
    /// Serves one client over a pair of streams (stdio: <c>Console.OpenStandardInput()</c>,
    /// <c>Console.OpenStandardOutput()</c>) until <c>exit</c>, end of input or cancellation.
    /// Returns the process exit code LSP prescribes: 0 when <c>shutdown</c> came first, 1 otherwise.
    /// Models loaded on the connection are freed when it returns.
    /// </summary>
    public static Task<int> RunAsync(Stream input, Stream output, CancellationToken cancellationToken = default) =>
        RunAsync(input, output, DaemonLog.FromEnvironment(), cancellationToken);

    /// <inheritdoc cref="RunAsync(Stream, Stream, CancellationToken)"/>
    public static async Task<int> RunAsync(Stream input, Stream output, DaemonLog log, CancellationToken cancellationToken = default)
    {
        ReserveThreadsForMessages();
        using var services = DaemonServices.CreateDefault(log);
        return await RunAsync(input, output, services, cancellationToken).ConfigureAwait(false);
    }

    internal static Task<int> RunAsync(Stream input, Stream output, DaemonServices services, CancellationToken cancellationToken) =>
        new Connection(services, "stdio", requiredToken: null).RunAsync(input, output, cancellationToken);

    /// <summary>
    /// Listens on 127.0.0.1:<paramref name="port"/> until cancelled; each connection must send
    /// <paramref name="token"/> in <c>initialize</c>'s <c>initializationOptions.token</c> or is refused
    /// (error Unauthorized) and closed. Connections share the loaded models.
    /// </summary>
    public static async Task RunTcpAsync(int port, string token, CancellationToken cancellationToken = default)
    {
        await using var daemon = StartTcp(port, token);
        daemon.Log.Info($"listening on 127.0.0.1:{daemon.Port}");
        try
        {
            await daemon.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Starts listening (port 0: any free port, see <see cref="TcpDaemon.Port"/>); dispose to stop.</summary>
    public static TcpDaemon StartTcp(int port, string token, DaemonLog? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        log ??= DaemonLog.FromEnvironment();
        ReserveThreadsForMessages();
        return new TcpDaemon(port, token, DaemonServices.CreateDefault(log));
    }

    internal static TcpDaemon StartTcp(int port, string token, DaemonServices services) => new(port, token, services);

    /// <summary>
    /// Lets the thread pool start a few threads beyond one per core without its injection delay: analyses keep
    /// one worker per core busy (the Engine's parallel loops are bounded to that), and reading <c>$/cancelRequest</c>,
    /// sending progress and answering hovers meanwhile each need a pool thread at once, not half a second later.
    /// </summary>
    static void ReserveThreadsForMessages()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        int wanted = Environment.ProcessorCount + 4;
        if (workers < wanted)
            ThreadPool.SetMinThreads(wanted, completionPorts);
    }
}

/// <summary>A running TCP daemon: its port, and a task that ends when it stops.</summary>
public sealed class TcpDaemon : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly DaemonServices _services;
    private readonly string _token;
    private readonly List<Task> _connections = [];
    private readonly Lock _lock = new();
    private int _next;

    internal TcpDaemon(int port, string token, DaemonServices services)
    {
        _services = services;
        _token = token;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Completion = AcceptLoopAsync();
    }

    public int Port { get; }
    public Task Completion { get; }
    internal DaemonLog Log => _services.Log;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && _stop.IsCancellationRequested)
            {
                return;
            }
            var name = $"tcp#{Interlocked.Increment(ref _next)} {client.Client.RemoteEndPoint}";
            lock (_lock)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(ServeAsync(client, name));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, string name)
    {
        using (client)
        {
            try
            {
                await using var stream = client.GetStream();
                await new Connection(_services, name, _token).RunAsync(stream, stream, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _services.Log.Warn($"{name}: {e.Message}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] connections;
        lock (_lock) connections = [.. _connections];
        await Task.WhenAll(connections).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _services.Dispose();
        _stop.Dispose();
    }
}
