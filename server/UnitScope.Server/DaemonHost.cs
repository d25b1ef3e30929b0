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
        new Connection(services, "stdio", remote: null).RunAsync(input, output, cancellationToken);

    /// <summary>
    /// Listens on 127.0.0.1:<paramref name="port"/> until cancelled; each connection must send
    /// <paramref name="access"/>'s token in <c>initialize</c>'s <c>initializationOptions.token</c> or is refused
    /// (error Unauthorized) and closed, and may then do what <paramref name="access"/> allows. Connections share the loaded models.
    /// </summary>
    public static async Task RunTcpAsync(int port, RemoteAccess access, CancellationToken cancellationToken = default)
    {
        await using var daemon = StartTcp(port, access);
        daemon.Log.Info($"listening on 127.0.0.1:{daemon.Port}; clients with the token may use files in {string.Join(", ", access.Roots.Select(Path.GetFullPath))}" +
                        (access.AllowCode ? " and run their C# model code (--allow-code)" : ""));
        try
        {
            await daemon.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Starts listening (port 0: any free port, see <see cref="TcpDaemon.Port"/>); dispose to stop.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument: a root folder that does not exist.</exception>
    public static TcpDaemon StartTcp(int port, RemoteAccess access, DaemonLog? log = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(access.Token);
        log ??= DaemonLog.FromEnvironment();
        ReserveThreadsForMessages();
        var policy = new RemotePolicy(access);
        return new TcpDaemon(port, policy, DaemonServices.CreateDefault(log));
    }

    internal static TcpDaemon StartTcp(int port, RemoteAccess access, DaemonServices services, TcpLimits? limits = null) =>
        new(port, new RemotePolicy(access), services, limits);

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

/// <summary>
/// What a TCP daemon allows before and beside authentication. Anyone who can reach the port can open
/// sockets, so nothing a client does before sending the token may cost the daemon more than a few KB
/// and a few seconds; nor may idle sockets crowd out the real client.
/// </summary>
internal sealed record TcpLimits
{
    /// <summary>Time from accept to a successful <c>initialize</c>; then the socket is closed.</summary>
    public TimeSpan AuthenticationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sockets still authenticating at once; one more closes the oldest of them (so a flood of idle
    /// sockets cannot keep the real client out: it authenticates within milliseconds of connecting).
    /// </summary>
    public int MaxUnauthenticated { get; init; } = 8;

    /// <summary>Connections at once, authenticated or not; one more is closed at once.</summary>
    public int MaxConnections { get; init; } = 64;

    public static TcpLimits Default { get; } = new();
}

/// <summary>A running TCP daemon: its port, and a task that ends when it stops.</summary>
public sealed class TcpDaemon : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly DaemonServices _services;
    private readonly RemotePolicy _access;
    private readonly TcpLimits _limits;
    private readonly List<Task> _connections = [];
    /// <summary>Connections that have not authenticated yet, oldest first, with what closes each.</summary>
    private readonly List<(string Name, CancellationTokenSource Close)> _unauthenticated = [];
    private readonly Lock _lock = new();
    private int _next;
    private int _authenticated;

    internal TcpDaemon(int port, RemotePolicy access, DaemonServices services, TcpLimits? limits = null)
    {
        _services = services;
        _access = access;
        _limits = limits ?? TcpLimits.Default;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Completion = AcceptLoopAsync();
    }

    public int Port { get; }
    public Task Completion { get; }
    internal DaemonLog Log => _services.Log;

    /// <summary>Connections being served now (for tests).</summary>
    internal int OpenConnections
    {
        get { lock (_lock) return _connections.Count(t => !t.IsCompleted); }
    }

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
                // Sockets being closed (evicted, timed out) no longer count: only the authenticated and the waiting.
                if (_authenticated + _unauthenticated.Count >= _limits.MaxConnections)
                {
                    Log.Warn($"{name}: refused: {_limits.MaxConnections} connections are open already");
                    client.Dispose();
                    continue;
                }
                var close = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                if (_unauthenticated.Count >= _limits.MaxUnauthenticated)
                {
                    var (oldest, closeOldest) = _unauthenticated[0];
                    _unauthenticated.RemoveAt(0);
                    Log.Warn($"{oldest}: closed: {_limits.MaxUnauthenticated} connections were waiting to authenticate and another came");
                    closeOldest.Cancel();
                }
                _unauthenticated.Add((name, close));
                _connections.Add(Task.Run(() => ServeAsync(client, name, close)));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, string name, CancellationTokenSource close)
    {
        using (close)
        using (client)
        {
            try
            {
                KeepAlive(client.Client);
                await using var stream = client.GetStream();
                var connection = new Connection(_services, name, _access);
                var run = connection.RunAsync(stream, stream, close.Token);
                await Task.WhenAny(run, connection.Initialized, Task.Delay(_limits.AuthenticationTimeout, close.Token)).ConfigureAwait(false);
                bool authenticated = connection.Initialized.IsCompleted;
                lock (_lock)
                {
                    _unauthenticated.RemoveAll(c => c.Close == close);
                    if (authenticated) _authenticated++;
                }
                if (!authenticated && !run.IsCompleted && !close.IsCancellationRequested)
                {
                    Log.Warn($"{name}: closed: no initialize with the token within {_limits.AuthenticationTimeout.TotalSeconds:0.#} s");
                    await close.CancelAsync().ConfigureAwait(false);
                }
                try
                {
                    await run.ConfigureAwait(false);
                }
                finally
                {
                    if (authenticated) lock (_lock) _authenticated--;
                }
            }
            catch (Exception e)
            {
                _services.Log.Warn($"{name}: {e.Message}");
            }
            finally
            {
                lock (_lock) _unauthenticated.RemoveAll(c => c.Close == close);
            }
        }
    }

    /// <summary>
    /// An authenticated editor may stay idle for hours (the user reads code); a peer that vanished is
    /// found by TCP keepalive instead of an idle timeout that would close the live ones too.
    /// </summary>
    private static void KeepAlive(Socket socket)
    {
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, 60);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 3);
        }
        catch (SocketException)
        {
            // Not supported here: dead peers are then found when a write fails.
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
