using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Microsoft.VisualStudio.Threading;
using StreamJsonRpc;
using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Documents;
using UnitScope.Server.Rpc;

namespace UnitScope.Server;

internal enum LifecycleState { Created, Initialized, ShutDown }

/// <summary>
/// One client connection (stdio, or one TCP socket): its JSON-RPC channel, LSP lifecycle and open
/// documents. Requests are entered in arrival order (a non-concurrent synchronization context),
/// checked against the lifecycle, then run by the shared <see cref="RequestScheduler"/>; every
/// exception becomes an error response and never ends the connection.
/// </summary>
internal sealed class Connection(DaemonServices services, string name, RemotePolicy? remote)
{
    private readonly TaskCompletionSource _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile LifecycleState _state;
    private volatile bool _closeAfterNextResponse;
    private volatile bool _workDoneProgress;
    private JsonRpc? _rpc;

    public DaemonServices Services { get; } = services;
    public DaemonLog Log => Services.Log;
    public string Name { get; } = name;
    public DocumentStore Documents { get; } = new();
    public LifecycleState State => _state;
    public bool RequiresToken => remote is not null;

    /// <summary>A TCP connection's limits (roots, code); null on stdio, whose client is the local editor.</summary>
    public RemotePolicy? Remote => remote;

    /// <summary>Completes when <c>initialize</c> succeeded (on TCP: with the right token).</summary>
    public Task Initialized => _initialized.Task;

    /// <summary>The client advertised <c>window.workDoneProgress</c>: the daemon may create progress tokens.</summary>
    public bool ClientSupportsWorkDoneProgress => _workDoneProgress;

    private volatile bool _codeLensRefresh;
    private int _refreshPending;

    /// <summary>The dataset this client's hovers, lenses and <c>isDefault</c> refer to (<c>initializationOptions.dataset</c>), else the probe set.</summary>
    public Dissection.DatasetSpec DefaultDataset { get; private set; } = Dissection.DatasetSpec.Probe;

    /// <summary>Progress tokens of running requests, for <c>window/workDoneProgress/cancel</c>.</summary>
    public ProgressTokens ProgressTokens { get; } = new();

    /// <summary>Serves until <c>exit</c>, end of input, or cancellation; returns the LSP exit code.</summary>
    public async Task<int> RunAsync(Stream input, Stream output, CancellationToken ct)
    {
        var formatter = new SystemTextJsonFormatter { JsonSerializerOptions = ProtocolJson.Options };
        var limits = new MessageLimits(() => _state != LifecycleState.Created, RequiresToken);
        var handler = new LspMessageHandler(output, input, formatter, Log, Name, limits);
        using var rpc = new DaemonJsonRpc(handler, () =>
        {
            if (_closeAfterNextResponse) Close();
        })
        {
            SynchronizationContext = new NonConcurrentSynchronizationContext(sticky: false),
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,
        };
        _rpc = rpc;
        rpc.TraceSource = new TraceSource("UnitScope.JsonRpc", SourceLevels.Warning);
        rpc.TraceSource.Listeners.Clear();
        rpc.TraceSource.Listeners.Add(new LogTraceListener(Log));
        Register(rpc);
        rpc.Disconnected += (_, e) =>
        {
            if (e.Exception is MessageTooLargeException refused)
                Log.Warn(refused.Message);
            else if (e.Reason is not (DisconnectedReason.RemotePartyTerminated or DisconnectedReason.LocallyDisposed))
                Log.Warn($"{Name}: disconnected: {e.Description}", e.Exception);
        };

        Log.Info($"{Name}: connected");
        rpc.StartListening();
        await using (ct.Register(Close))
        {
            await Task.WhenAny(rpc.Completion, _exit.Task).ConfigureAwait(false);
        }
        rpc.Dispose();
        await rpc.Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var code = _state == LifecycleState.ShutDown ? 0 : 1;
        Log.Info($"{Name}: closed (exit code {code})");
        return code;
    }

    // Lifecycle, driven by the lifecycle handlers.

    public bool TokenMatches(string? token) =>
        remote is null
        || (token is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(remote.Token)));

    public void MarkInitialized(InitializeParams request)
    {
        _workDoneProgress = ReadsTrue(request.Capabilities, "window", "workDoneProgress");
        _codeLensRefresh = ReadsTrue(request.Capabilities, "workspace", "codeLens", "refreshSupport");
        if (request.InitializationOptions?.Dataset is { } dataset)
        {
            try
            {
                DefaultDataset = Dissection.DatasetSpec.Parse(dataset);
            }
            catch (Exception e) when (e is LocalRpcException or UnitScopeException)
            {
                Log.Warn($"{Name}: initializationOptions.dataset ignored: {e.Message}");
            }
        }
        _state = LifecycleState.Initialized;
        _initialized.TrySetResult();
    }

    private static bool ReadsTrue(JsonElement? json, params string[] path)
    {
        if (json is not { } e) return false;
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e)) return false;
        }
        return e.ValueKind == JsonValueKind.True;
    }

    // Daemon → client.

    /// <summary>Sends a notification to the client; false when the connection is gone.</summary>
    public async Task<bool> NotifyClientAsync(string method, object argument)
    {
        if (_rpc is not { IsDisposed: false } rpc) return false;
        try
        {
            await rpc.NotifyWithParameterObjectAsync(method, argument).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is ConnectionLostException or ObjectDisposedException or IOException)
        {
            return false;
        }
    }

    /// <summary>Sends a request to the client and waits for its answer.</summary>
    /// <exception cref="RemoteInvocationException">The client answered with an error.</exception>
    public Task InvokeClientAsync(string method, object argument, CancellationToken ct)
    {
        var rpc = _rpc ?? throw new InvalidOperationException("The connection is not running.");
        return rpc.InvokeWithParameterObjectAsync(method, argument, ct);
    }
    /// <summary>
    /// Asks the client to fetch code lenses again (models or results changed), when it said it can;
    /// requests made while one is being sent coalesce into it.
    /// </summary>
    public void RefreshCodeLenses()
    {
        if (!_codeLensRefresh || _state != LifecycleState.Initialized || _rpc is not { IsDisposed: false } rpc) return;
        if (Interlocked.Exchange(ref _refreshPending, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(50).ConfigureAwait(false);
                Interlocked.Exchange(ref _refreshPending, 0);
                await rpc.InvokeWithParameterObjectAsync(Methods.CodeLensRefresh, null).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Interlocked.Exchange(ref _refreshPending, 0);
                Log.Debug($"{Name}: {Methods.CodeLensRefresh}: {e.Message}");
            }
        });
    }

    public void MarkShutDown() => _state = LifecycleState.ShutDown;

    /// <summary>The <c>exit</c> notification: stop serving.</summary>
    public void Exit() => _exit.TrySetResult();

    /// <summary>Close the connection once the response being prepared has been sent.</summary>
    public void CloseAfterResponse() => _closeAfterNextResponse = true;

    private void Close() => _exit.TrySetResult();

    // Dispatch.

    public Task<TResponse> DispatchRequest<TRequest, TResponse>(
        HandlesAttribute handles, IRequestHandler<TRequest, TResponse> handler, JsonElement? rawParams, CancellationToken ct)
    {
        var method = handles.Method;
        if (method == Methods.Initialize)
        {
            if (_state != LifecycleState.Created)
                throw RpcErrors.Standard(ErrorCodes.InvalidRequest, "initialize was already received on this connection.");
        }
        else if (_state == LifecycleState.Created)
        {
            if (RequiresToken)
            {
                CloseAfterResponse();
                throw RpcErrors.Application(ErrorKind.Unauthorized,
                    $"'{method}' before initialize: this server requires initialize with initializationOptions.token first; closing the connection.");
            }
            throw RpcErrors.Standard(ErrorCodes.ServerNotInitialized, $"'{method}' before initialize: the server is not initialized.");
        }
        else if (_state == LifecycleState.ShutDown)
        {
            throw RpcErrors.Standard(ErrorCodes.InvalidRequest, $"'{method}' after shutdown: only exit is accepted.");
        }
        TRequest request;
        try
        {
            request = Params.Read<TRequest>(rawParams, method);
        }
        catch (LocalRpcException e)
        {
            Log.Info($"{Name}: {method}: error {e.ErrorCode}: {e.Message}");
            throw;
        }
        var response = Services.Scheduler.Enqueue(handles.Execution, token => Guard(method, () => Confined(() => handler.HandleAsync(request, token)), token), ct);
        // Models loaded or unloaded, results computed (also when cancelled part way): lenses show them.
        if (handles.Execution is Execution.Mutating or Execution.Background)
            _ = response.ContinueWith(_ => RefreshCodeLenses(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return response;
    }

    public Task DispatchNotification<TParams>(HandlesAttribute handles, INotificationHandler<TParams> handler, JsonElement? rawParams)
    {
        var method = handles.Method;
        if (method != Methods.Exit && _state != LifecycleState.Initialized)
        {
            Log.Debug($"{Name}: dropped '{method}' ({_state})");
            return Task.CompletedTask;
        }
        TParams notification;
        try
        {
            notification = Params.Read<TParams>(rawParams, method);
        }
        catch (LocalRpcException e)
        {
            Log.Warn($"{Name}: dropped '{method}': {e.Message}");
            return Task.CompletedTask;
        }
        return Services.Scheduler.Enqueue(handles.Execution, async token =>
        {
            await Guard(method, async () => { await Confined(() => handler.HandleAsync(notification, token)).ConfigureAwait(false); return true; }, token)
                .ConfigureAwait(false);
            return true;
        }, CancellationToken.None);
    }

    /// <summary>
    /// Runs a handler of a TCP connection confined to the server's roots: every file the Engine reads or writes for
    /// it (named, or beside what is named) must lie inside them. The confinement flows into the handler's tasks.
    /// </summary>
    private Task<T> Confined<T>(Func<Task<T>> run)
    {
        if (remote is null) return run();
        using (UserFile.ConfineTo(remote.Roots))
            return run();
    }

    private Task Confined(Func<Task> run) => Confined(async () => { await run().ConfigureAwait(false); return true; });

    private async Task<T> Guard<T>(string method, Func<Task<T>> run, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var result = await run().ConfigureAwait(false);
            Log.Debug($"{Name}: {method} done in {watch.ElapsedMilliseconds} ms");
            return result;
        }
        catch (LocalRpcException e)
        {
            Log.Info($"{Name}: {method}: error {e.ErrorCode}: {e.Message}");
            throw;
        }
        catch (UnitScopeException e)
        {
            Log.Info($"{Name}: {method}: {e.Kind}: {e.Message}");
            throw RpcErrors.From(e);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Log.Info($"{Name}: {method} cancelled after {watch.ElapsedMilliseconds} ms");
            throw;
        }
        catch (Exception e)
        {
            Log.Error($"{Name}: {method} failed", e);
            throw RpcErrors.Standard(ErrorCodes.InternalError, $"Internal error in {method}: {e.GetType().Name}: {e.Message}");
        }
    }

    private void Register(JsonRpc rpc)
    {
        foreach (var handler in HandlerCatalog.Create(this))
        {
            var handles = handler.GetType().GetCustomAttribute<HandlesAttribute>()
                          ?? throw new InvalidOperationException($"{handler.GetType().Name} lacks [Handles].");
            var (endpoint, method) = HandlerCatalog.Endpoint(this, handles, handler);
            rpc.AddLocalRpcMethod(method, endpoint, new JsonRpcMethodAttribute(handles.Method) { UseSingleObjectParameterDeserialization = true });
        }
    }

    /// <summary>JsonRpc that reports each response sent (to close a refused connection after its error).</summary>
    private sealed class DaemonJsonRpc(IJsonRpcMessageHandler handler, Action responseSent) : JsonRpc(handler)
    {
        protected override void OnResponseSent(StreamJsonRpc.Protocol.JsonRpcMessage response)
        {
            base.OnResponseSent(response);
            responseSent();
        }
    }

    /// <summary>StreamJsonRpc's own warnings, into the daemon log.</summary>
    private sealed class LogTraceListener(DaemonLog log) : TraceListener
    {
        public override void Write(string? message) { }
        public override void WriteLine(string? message) { }
        public override void TraceEvent(TraceEventCache? eventCache, string source, TraceEventType eventType, int id, string? message)
        {
            if (message is not null) log.Debug($"jsonrpc {eventType}: {message}");
        }
        public override void TraceEvent(TraceEventCache? eventCache, string source, TraceEventType eventType, int id, string? format, params object?[]? args)
        {
            if (format is not null) log.Debug($"jsonrpc {eventType}: {(args is null ? format : string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args))}");
        }
        public override void TraceData(TraceEventCache? eventCache, string source, TraceEventType eventType, int id, object? data) { }
        public override void TraceData(TraceEventCache? eventCache, string source, TraceEventType eventType, int id, params object?[]? data) { }
    }
}
