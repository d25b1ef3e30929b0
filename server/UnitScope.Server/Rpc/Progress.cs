using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using UnitScope.Protocol;

namespace UnitScope.Server.Rpc;

/// <summary>
/// The progress tokens of a connection's running requests (client-provided and daemon-created),
/// so that <c>window/workDoneProgress/cancel</c> can cancel the work behind one.
/// </summary>
internal sealed class ProgressTokens
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _tokens = new(StringComparer.Ordinal);

    /// <summary>Tokens are compared by their JSON text: 7 and "7" are different tokens.</summary>
    public static string Key(JsonElement token) => token.GetRawText();

    /// <summary>Registers a token; the returned source is cancelled by <see cref="Cancel"/>. Dispose the registration when the work ends.</summary>
    public IDisposable Register(JsonElement token, out CancellationToken cancelled)
    {
        var key = Key(token);
        var cts = new CancellationTokenSource();
        _tokens[key] = cts;
        cancelled = cts.Token;
        return new Registration(this, key, cts);
    }

    /// <returns>false when no running work has that token.</returns>
    public bool Cancel(JsonElement token)
    {
        if (!_tokens.TryGetValue(Key(token), out var cts)) return false;
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        return true;
    }

    private sealed class Registration(ProgressTokens owner, string key, CancellationTokenSource cts) : IDisposable
    {
        public void Dispose()
        {
            owner._tokens.TryRemove(new KeyValuePair<string, CancellationTokenSource>(key, cts));
            cts.Dispose();
        }
    }
}

/// <summary>
/// The <c>$/progress</c> notifications of one request, sent in the order they were posted, from any
/// thread without blocking it (the engine reports progress synchronously). <see cref="DrainAsync"/>
/// before answering: LSP wants partial results before the response.
/// </summary>
internal sealed class ProgressStream
{
    private readonly Channel<ProgressParams> _queue = Channel.CreateUnbounded<ProgressParams>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<ProgressParams, Task<bool>> _send;
    private readonly Task _pump;

    public ProgressStream(Func<ProgressParams, Task<bool>> send)
    {
        _send = send;
        _pump = Task.Run(PumpAsync);
    }

    public ProgressStream(Connection connection) : this(p => connection.NotifyClientAsync(Methods.Progress, p)) { }

    /// <summary>Queues a <c>$/progress</c>; the value is serialized now (a snapshot).</summary>
    public void Post(JsonElement token, object value) =>
        _queue.Writer.TryWrite(new ProgressParams(token, JsonSerializer.SerializeToElement(value, value.GetType(), ProtocolJson.Options)));

    /// <summary>Sends what is queued and stops accepting more.</summary>
    public Task DrainAsync()
    {
        _queue.Writer.TryComplete();
        return _pump;
    }

    private async Task PumpAsync()
    {
        var connected = true;
        await foreach (var message in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            // Once the connection is gone the rest is dropped, but still read so posting never blocks.
            if (connected) connected = await _send(message).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// LSP work-done progress for one request: begin, reports (percentage never decreasing, at most a
/// few a second unless the stage changes) and end. Without a token it does nothing.
/// </summary>
internal sealed class WorkDoneProgress : IDisposable
{
    /// <summary>Reports closer together than this are dropped unless the percentage or the stage changed.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);

    private readonly ProgressStream _stream;
    private readonly JsonElement? _token;
    private readonly IDisposable? _registration;
    private readonly Lock _lock = new();
    private readonly Stopwatch _sinceLast = Stopwatch.StartNew();
    private int _percentage = -1;
    private string? _stage;
    private bool _ended;

    private WorkDoneProgress(ProgressStream stream, JsonElement? token, IDisposable? registration, CancellationToken cancelledByClient)
    {
        _stream = stream;
        _token = token;
        _registration = registration;
        CancelledByClient = cancelledByClient;
    }

    /// <summary>The token progress goes to: the client's, one the daemon created, or none.</summary>
    public JsonElement? Token => _token;

    /// <summary>Cancelled by <c>window/workDoneProgress/cancel</c> for this token.</summary>
    public CancellationToken CancelledByClient { get; }

    /// <summary>
    /// Uses the client's <paramref name="clientToken"/>; without one, creates a token with
    /// <c>window/workDoneProgress/create</c> when the client supports it (no progress if it refuses
    /// or does not answer in time). Sends <c>begin</c>.
    /// </summary>
    public static async Task<WorkDoneProgress> BeginAsync(
        Connection connection, ProgressStream stream, JsonElement? clientToken, string title, string? message, CancellationToken ct)
    {
        var token = clientToken is { ValueKind: JsonValueKind.String or JsonValueKind.Number } t ? t : (JsonElement?)null;
        if (token is null && connection.ClientSupportsWorkDoneProgress)
        {
            var created = JsonSerializer.SerializeToElement($"unitscope/{Guid.NewGuid():N}");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await connection.InvokeClientAsync(Methods.WorkDoneProgressCreate, new WorkDoneProgressCreateParams(created), timeout.Token)
                    .ConfigureAwait(false);
                token = created;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                connection.Log.Info($"{connection.Name}: window/workDoneProgress/create failed ({e.GetType().Name}: {e.Message}); no progress");
            }
        }
        if (token is not { } tok) return new WorkDoneProgress(stream, null, null, CancellationToken.None);

        var registration = connection.ProgressTokens.Register(tok, out var cancelled);
        stream.Post(tok, new WorkDoneProgressBegin(title, Cancellable: true, Message: message, Percentage: 0));
        return new WorkDoneProgress(stream, tok, registration, cancelled) { _percentage = 0 };
    }

    /// <param name="stage">What kind of step this is (e.g. "conv3 iou"): a new stage is always sent.</param>
    public void Report(string message, int percentage, string? stage = null)
    {
        if (_token is not { } token) return;
        lock (_lock)
        {
            if (_ended) return;
            percentage = Math.Clamp(percentage, 0, 100);
            var newStage = stage is not null && stage != _stage;
            var risen = percentage > _percentage;
            if (!newStage && !risen && _sinceLast.Elapsed < MinInterval) return;
            _percentage = Math.Max(_percentage, percentage);
            if (stage is not null) _stage = stage;
            _sinceLast.Restart();
            _stream.Post(token, new WorkDoneProgressReport(message, _percentage));
        }
    }

    public void End(string? message)
    {
        if (_token is not { } token) return;
        lock (_lock)
        {
            if (_ended) return;
            _ended = true;
            _stream.Post(token, new WorkDoneProgressEnd(message));
        }
    }

    public void Dispose() => _registration?.Dispose();
}
