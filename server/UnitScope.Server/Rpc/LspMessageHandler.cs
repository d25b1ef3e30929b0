using System.Buffers;
using System.Text;
using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using UnitScope.Protocol;

namespace UnitScope.Server.Rpc;

/// <summary>
/// LSP framing (Content-Length headers) that survives whatever arrives. StreamJsonRpc's own reader ends
/// the connection on a bad header and buffers any header line or body whole, so reading is written
/// here (writing stays StreamJsonRpc's):
/// <list type="bullet">
/// <item>Bytes that are not a header block (garbage, a negative or non-numeric Content-Length, a block
/// without one, a body shorter than announced) are skipped up to the next <c>Content-Length:</c>, wherever it
/// is: the stream resynchronises, and the skip is logged once.</item>
/// <item>No line is buffered past <see cref="MaxHeaderLine"/> bytes, and a body longer than
/// <see cref="MessageLimits.MaxBody"/> (a few KB before a TCP client has authenticated) is never
/// buffered: before authentication the connection is closed, after it the body is skipped and answered.</item>
/// <item>A body that is not JSON is answered with ParseError (-32700), JSON that is not a JSON-RPC message
/// with InvalidRequest (-32600), with the request's id when it has one, and reading goes on.</item>
/// <item>Error messages sent are cut to <see cref="Echo.MaxMessage"/> characters (they may quote input).</item>
/// </list>
/// </summary>
internal sealed class LspMessageHandler(Stream sendingStream, Stream receivingStream, SystemTextJsonFormatter formatter, DaemonLog log, string name, MessageLimits limits)
    : HeaderDelimitedMessageHandler(sendingStream, receivingStream, formatter)
{
    /// <summary>Longest header line accepted (LSP's are about 30 bytes).</summary>
    public const int MaxHeaderLine = 1024;

    private static ReadOnlySpan<byte> ContentLength => "content-length:"u8;

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int? length = await ReadHeadersAsync(cancellationToken).ConfigureAwait(false);
            if (length is null) return null; // end of input between messages
            int max = limits.MaxBody;
            if (length > max)
            {
                if (limits.Unauthenticated)
                    throw new MessageTooLargeException(
                        $"{name}: a message of {length} bytes before authentication (at most {max}); closing the connection");
                await SkipAsync(length.Value, cancellationToken).ConfigureAwait(false);
                await ReplyAsync(RequestId.Null, ErrorCodes.InvalidRequest,
                    $"Invalid request: a message of {length} bytes is larger than the {max} bytes this server reads.", cancellationToken).ConfigureAwait(false);
                continue;
            }

            var body = await ReadBodyAsync(length.Value, cancellationToken).ConfigureAwait(false);
            try
            {
                return Formatter.Deserialize(new ReadOnlySequence<byte>(body));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var notJson = !IsJson(body);
                var code = notJson ? ErrorCodes.ParseError : ErrorCodes.InvalidRequest;
                var message = notJson ? $"Parse error: the message is not valid JSON ({e.Message})" : $"Invalid request: {e.Message}";
                log.Warn($"{name}: {message}");
                await ReplyAsync(notJson ? RequestId.Null : IdOf(body), code, message, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    protected override void Write(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        if (content is JsonRpcError { Error: { } error } && error.Message is { Length: > Echo.MaxMessage } message)
            error.Message = Echo.Cut(message, Echo.MaxMessage);
        base.Write(content, cancellationToken);
    }

    /// <summary>
    /// The Content-Length of the next well-formed header block, skipping anything else; null at the end
    /// of input before a block starts.
    /// </summary>
    private async ValueTask<int?> ReadHeadersAsync(CancellationToken ct)
    {
        long skipped = 0;
        string? why = null;
        while (true)
        {
            var (garbage, ended) = await SkipToHeaderAsync(ct).ConfigureAwait(false);
            if (garbage > 0)
            {
                skipped += garbage;
                why ??= "bytes that are not an LSP header";
                if (limits.Unauthenticated)
                    throw new MessageTooLargeException($"{name}: {why} before authentication; closing the connection");
            }
            var line = ended ? null : await ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null)
            {
                if (skipped > 0) LogSkip(skipped, why);
                return null;
            }

            int? length = ParseLength(line.Value.Bytes);
            bool bad = length is null || line.Value.Cut;
            // The rest of the block: other headers (Content-Type) up to the blank line.
            while (!bad)
            {
                var header = await ReadLineAsync(ct).ConfigureAwait(false);
                if (header is null)
                {
                    LogSkip(skipped + line.Value.Consumed, "a header block cut off by the end of input");
                    return null;
                }
                if (header.Value.Bytes.Length == 0 && !header.Value.Cut) break;
                if (StartsWithContentLength(header.Value.Bytes) || header.Value.Cut || header.Value.Bytes.IndexOf((byte)':') <= 0)
                    bad = true;
            }
            if (!bad)
            {
                if (skipped > 0) LogSkip(skipped, why);
                return length;
            }
            skipped += line.Value.Consumed;
            why = length is null
                ? $"a header block whose Content-Length is not a positive number ('{Echo.Of(Encoding.ASCII.GetString(line.Value.Bytes), 60)}')"
                : "a malformed header block";
            if (limits.Unauthenticated)
                throw new MessageTooLargeException($"{name}: {why} before authentication; closing the connection");
        }
    }

    /// <summary>
    /// Discards input up to the next <c>Content-Length:</c>, wherever it is: after a body read short or a bad block,
    /// the next header follows the previous body on the same line (LSP bodies end without a newline). Returns how
    /// many bytes other than line ends and spaces were skipped, and whether the input ended first.
    /// </summary>
    private async ValueTask<(long Garbage, bool Ended)> SkipToHeaderAsync(CancellationToken ct)
    {
        var reader = Reader!;
        long garbage = 0;
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (FindHeader(buffer) is { } at)
            {
                garbage += NonBlank(buffer.Slice(0, at));
                reader.AdvanceTo(at);
                return (garbage, false);
            }
            if (result.IsCompleted)
            {
                garbage += NonBlank(buffer);
                reader.AdvanceTo(buffer.End);
                return (garbage, true);
            }
            // Keep a tail that is the start of a header split across reads (only that: other bytes count as garbage now).
            long keep = HeaderStartAtEnd(buffer);
            var drop = buffer.Slice(0, buffer.Length - keep);
            garbage += NonBlank(drop);
            reader.AdvanceTo(drop.End, buffer.End);
            // Before authentication there is no waiting for a header to turn up: the caller closes the connection.
            if (garbage > 0 && limits.Unauthenticated) return (garbage, false);
        }
    }

    /// <summary>Where "Content-Length:" (any case) first starts in <paramref name="buffer"/>.</summary>
    private static SequencePosition? FindHeader(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> candidate = stackalloc byte[ContentLength.Length];
        while (reader.TryAdvanceToAny("Cc"u8, advancePastDelimiter: false))
        {
            if (!reader.TryCopyTo(candidate)) return null; // too close to the end: the caller keeps it and reads on
            if (Ascii.EqualsIgnoreCase(candidate, ContentLength)) return reader.Position;
            reader.Advance(1);
        }
        return null;
    }

    /// <summary>How many of the last bytes of <paramref name="buffer"/> are the first bytes of "Content-Length:" (any case).</summary>
    private static int HeaderStartAtEnd(ReadOnlySequence<byte> buffer)
    {
        Span<byte> tail = stackalloc byte[ContentLength.Length - 1];
        int n = (int)Math.Min(buffer.Length, tail.Length);
        tail = tail[..n];
        buffer.Slice(buffer.Length - n).CopyTo(tail);
        for (int keep = n; keep > 0; keep--)
            if (Ascii.EqualsIgnoreCase(tail[(n - keep)..], ContentLength[..keep])) return keep;
        return 0;
    }

    private static long NonBlank(ReadOnlySequence<byte> bytes)
    {
        long count = 0;
        foreach (var segment in bytes)
            foreach (var b in segment.Span)
                if (b is not ((byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t')) count++;
        return count;
    }

    private void LogSkip(long bytes, string? why) =>
        log.Warn($"{name}: framing error: skipped {bytes} bytes ({why}) and resynchronised at the next Content-Length header");

    private static bool StartsWithContentLength(ReadOnlySpan<byte> line) =>
        line.Length >= ContentLength.Length && Ascii.EqualsIgnoreCase(line[..ContentLength.Length], ContentLength);

    /// <summary>Digits only, 1 … int.MaxValue; null otherwise.</summary>
    private static int? ParseLength(ReadOnlySpan<byte> line)
    {
        var value = line[ContentLength.Length..].Trim(" \t"u8);
        if (value.Length is 0 or > 10) return null;
        long n = 0;
        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9') return null;
            n = n * 10 + (b - '0');
        }
        return n is > 0 and <= int.MaxValue ? (int)n : null;
    }

    private readonly record struct Line(byte[] Bytes, long Consumed, bool Cut);

    /// <summary>
    /// The next line without its line end (\n or \r\n). A line longer than <see cref="MaxHeaderLine"/> is never held
    /// whole: it comes back cut (its first bytes, <see cref="Line.Cut"/> set), the rest consumed up to its \n.
    /// A last line without \n comes back too; null once the input has ended.
    /// </summary>
    private async ValueTask<Line?> ReadLineAsync(CancellationToken ct)
    {
        var reader = Reader!;
        byte[]? head = null;
        long dropped = 0;
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var lf = buffer.PositionOf((byte)'\n');
            if (lf is not null || result.IsCompleted)
            {
                var part = lf is { } end ? buffer.Slice(0, end) : buffer;
                long total = dropped + part.Length;
                bool cut = total > MaxHeaderLine;
                // Copied before AdvanceTo: the pipe may reuse the buffer after it.
                var bytes = cut ? head ?? part.Slice(0, MaxHeaderLine).ToArray() : part.ToArray();
                reader.AdvanceTo(lf is { } e ? buffer.GetPosition(1, e) : buffer.End);
                if (lf is null && total == 0) return null;
                if (!cut && bytes.Length > 0 && bytes[^1] == '\r') bytes = bytes[..^1];
                return new Line(bytes, total + (lf is null ? 0 : 1), cut);
            }
            if (buffer.Length > MaxHeaderLine)
            {
                // Too long to be a header: keep its start for the log, drop the rest as it comes.
                head ??= buffer.Slice(0, MaxHeaderLine).ToArray();
                dropped += buffer.Length;
                reader.AdvanceTo(buffer.End);
            }
            else
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    private async ValueTask<byte[]> ReadBodyAsync(int length, CancellationToken ct)
    {
        var result = await ReadAtLeastAsync(length, allowEmpty: false, ct).ConfigureAwait(false);
        var body = result.Buffer.Slice(0, length);
        // A copy the message owns: the formatter's JsonDocument keeps pointing at it.
        var bytes = body.ToArray();
        Reader!.AdvanceTo(body.End);
        return bytes;
    }

    private async ValueTask SkipAsync(long length, CancellationToken ct)
    {
        var reader = Reader!;
        while (length > 0)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var take = Math.Min(length, result.Buffer.Length);
            reader.AdvanceTo(result.Buffer.GetPosition(take));
            length -= take;
            if (length > 0 && result.IsCompleted) throw new EndOfStreamException();
        }
    }

    private async ValueTask ReplyAsync(RequestId id, int code, string message, CancellationToken ct)
    {
        var reply = ((IJsonRpcMessageFactory)Formatter).CreateErrorMessage();
        reply.RequestId = id;
        reply.Error = new JsonRpcError.ErrorDetail { Code = (JsonRpcErrorCode)code, Message = message };
        await WriteAsync(reply, ct).ConfigureAwait(false);
    }

    private static bool IsJson(byte[] body)
    {
        try
        {
            using var _ = JsonDocument.Parse(body);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The id of a JSON object that has a number or string <c>id</c>, so its sender can match the error; else null.</summary>
    private static RequestId IdOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var id))
            {
                if (id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var n)) return new RequestId(n);
                if (id.ValueKind == JsonValueKind.String) return new RequestId(id.GetString());
            }
        }
        catch (JsonException)
        {
        }
        return RequestId.Null;
    }
}

/// <summary>How large a message a connection reads now, and whether anything odd closes it.</summary>
internal sealed class MessageLimits(Func<bool> authenticated, bool requiresToken)
{
    /// <summary>
    /// Before a TCP client has sent its token: enough for VS Code's initialize (about 8 KB of capabilities),
    /// far too little to make the daemon hold anything.
    /// </summary>
    public const int BeforeAuthentication = 64 * 1024;

    /// <summary>After it, and on stdio: an image sent inline as base64 fits; nothing larger is buffered.</summary>
    public const int Authenticated = 256 * 1024 * 1024;

    public static MessageLimits Stdio { get; } = new(() => true, requiresToken: false);

    /// <summary>A TCP connection that has not sent the token yet: anything out of the ordinary closes it.</summary>
    public bool Unauthenticated => requiresToken && !authenticated();

    public int MaxBody => Unauthenticated ? BeforeAuthentication : Authenticated;
}

/// <summary>The connection sent something it may not before authentication; the connection ends.</summary>
internal sealed class MessageTooLargeException(string message) : IOException(message);
