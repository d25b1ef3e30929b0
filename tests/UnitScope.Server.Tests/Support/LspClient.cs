using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using UnitScope.Protocol;

namespace UnitScope.Server.Tests.Support;

/// <summary>A JSON-RPC error response, as received.</summary>
public sealed record RpcError(int Code, string Message, JsonElement? Data)
{
    public string? Kind => Data is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("kind", out var k) ? k.GetString() : null;
    public override string ToString() => $"{Code} {Kind}: {Message}";
}

public sealed class RpcErrorException(RpcError error) : Exception($"JSON-RPC error {error}")
{
    public RpcError Error { get; } = error;
}

/// <summary>
/// A raw LSP client for tests: writes Content-Length framed JSON, reads frames, matches responses
/// by id. It can also send bytes that are not JSON-RPC at all.
/// </summary>
public sealed class LspClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private readonly Stream _send;
    private readonly Stream _receive;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Channel<JsonElement> _unmatched = Channel.CreateUnbounded<JsonElement>();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reader;
    private long _nextId;

    public LspClient(Stream send, Stream receive)
    {
        _send = send;
        _receive = receive;
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Lines in a header block that are not headers: anything but the protocol on the stream.</summary>
    public List<string> ProtocolViolations { get; } = [];

    /// <summary>Completes when the server closes its output.</summary>
    public Task Closed => _closed.Task;

    private readonly List<JsonElement> _notifications = [];
    private readonly SemaphoreSlim _notified = new(0);

    /// <summary>Server → client notifications, in arrival order.</summary>
    public IReadOnlyList<JsonElement> Notifications
    {
        get { lock (_notifications) return [.. _notifications]; }
    }

    /// <summary>Server → client requests, in arrival order.</summary>
    public List<JsonElement> ServerRequests { get; } = [];

    /// <summary>Answers a server → client request: a result object, or an <see cref="RpcError"/>. Default: result null.</summary>
    public Func<JsonElement, object?> AnswerServerRequest { get; set; } = _ => null;

    /// <summary>Waits for a notification that matches (already received ones count).</summary>
    public async Task<JsonElement> WaitForNotificationAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            var found = Notifications.FirstOrDefault(n => match(n));
            if (found.ValueKind != JsonValueKind.Undefined) return found;
            await _notified.WaitAsync(cts.Token).ConfigureAwait(false);
        }
    }

    /// <summary>The <c>$/progress</c> values sent on a token (compared by JSON text), in order.</summary>
    public List<JsonElement> ProgressValues(JsonElement token) =>
        Notifications.Where(n => n.GetProperty("method").GetString() == Methods.Progress
                                 && n.GetProperty("params").GetProperty("token").GetRawText() == token.GetRawText())
            .Select(n => n.GetProperty("params").GetProperty("value"))
            .ToList();

    /// <summary>Sends a request and returns its id and the task of its response message.</summary>
    public async Task<(long Id, Task<JsonElement> Response)> SendRequestAsync(string method, object? @params)
    {
        var id = Interlocked.Increment(ref _nextId);
        var tcs = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
        if (@params is not null) message["params"] = JsonSerializer.SerializeToNode(@params, ProtocolJson.Options);
        await SendRawAsync(message.ToJsonString()).ConfigureAwait(false);
        return (id, tcs.Task);
    }

    /// <summary>The response message of a request (result or error).</summary>
    public async Task<JsonElement> RequestAsync(string method, object? @params, TimeSpan? timeout = null)
    {
        var (_, response) = await SendRequestAsync(method, @params).ConfigureAwait(false);
        return await response.WaitAsync(timeout ?? DefaultTimeout).ConfigureAwait(false);
    }

    public async Task<T> CallAsync<T>(string method, object? @params, TimeSpan? timeout = null)
    {
        var response = await RequestAsync(method, @params, timeout).ConfigureAwait(false);
        if (ErrorOf(response) is { } error) throw new RpcErrorException(error);
        return response.GetProperty("result").Deserialize<T>(ProtocolJson.Options)!;
    }

    public async Task<RpcError> CallExpectingErrorAsync(string method, object? @params, TimeSpan? timeout = null)
    {
        var response = await RequestAsync(method, @params, timeout).ConfigureAwait(false);
        return ErrorOf(response) ?? throw new InvalidOperationException($"{method} succeeded but an error was expected: {response}");
    }

    public Task NotifyAsync(string method, object? @params)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method };
        if (@params is not null) message["params"] = JsonSerializer.SerializeToNode(@params, ProtocolJson.Options);
        return SendRawAsync(message.ToJsonString());
    }

    /// <summary>Frames and sends any body, valid JSON or not.</summary>
    public async Task SendRawAsync(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var header = Encoding.ASCII.GetBytes($"Content-Length: {bytes.Length}\r\n\r\n");
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _send.WriteAsync(header).ConfigureAwait(false);
            await _send.WriteAsync(bytes).ConfigureAwait(false);
            await _send.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends bytes as they are, without framing (garbage, broken headers).</summary>
    public async Task SendBytesAsync(byte[] bytes)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _send.WriteAsync(bytes).ConfigureAwait(false);
            await _send.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The next response whose id matches no request we sent (e.g. id null for a parse error).</summary>
    public async Task<JsonElement> NextUnmatchedResponseAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        return await _unmatched.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
    }

    public static RpcError? ErrorOf(JsonElement response)
    {
        if (!response.TryGetProperty("error", out var error)) return null;
        return new RpcError(
            error.GetProperty("code").GetInt32(),
            error.GetProperty("message").GetString() ?? "",
            error.TryGetProperty("data", out var data) ? data.Clone() : null);
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var body = await ReadFrameAsync().ConfigureAwait(false);
                if (body is null) break;
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement.Clone();
                if (root.TryGetProperty("method", out _))
                {
                    OnServerMessage(root);
                    continue;
                }
                if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number
                    && _pending.TryRemove(id.GetInt64(), out var tcs))
                {
                    tcs.TrySetResult(root);
                }
                else
                {
                    _unmatched.Writer.TryWrite(root);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            foreach (var p in _pending.Values) p.TrySetException(new IOException("The server closed the connection."));
            _closed.TrySetResult();
        }
    }

    private void OnServerMessage(JsonElement message)
    {
        if (!message.TryGetProperty("id", out var id))
        {
            lock (_notifications) _notifications.Add(message);
            _notified.Release();
            return;
        }
        lock (ServerRequests) ServerRequests.Add(message);
        var answer = AnswerServerRequest(message);
        var reply = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = JsonNode.Parse(id.GetRawText()) };
        if (answer is RpcError error)
            reply["error"] = new JsonObject { ["code"] = error.Code, ["message"] = error.Message };
        else
            reply["result"] = answer is null ? null : JsonSerializer.SerializeToNode(answer, ProtocolJson.Options);
        // Not awaited on the read loop's own path to the server: a reply never waits for a read.
        _ = SendRawAsync(reply.ToJsonString());
    }

    private readonly byte[] _one = new byte[1];

    private async Task<byte[]?> ReadFrameAsync()
    {
        int? length = null;
        var line = new StringBuilder();
        while (true)
        {
            var n = await _receive.ReadAsync(_one).ConfigureAwait(false);
            if (n == 0) return null;
            var c = (char)_one[0];
            if (c == '\n')
            {
                var text = line.ToString().TrimEnd('\r');
                line.Clear();
                if (text.Length == 0)
                {
                    if (length is null) continue;
                    break;
                }
                var colon = text.IndexOf(':');
                if (colon > 0 && text[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    length = int.Parse(text[(colon + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                else if (colon <= 0 || !text[..colon].Trim().StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                    lock (ProtocolViolations) ProtocolViolations.Add(text);
            }
            else
            {
                line.Append(c);
            }
        }
        var body = new byte[length!.Value];
        await _receive.ReadExactlyAsync(body).ConfigureAwait(false);
        return body;
    }

    public async ValueTask DisposeAsync()
    {
        try { _send.Dispose(); } catch (IOException) { }
        await _reader.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _receive.Dispose();
    }
}
