using System.Text.Json;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using UnitScope.Protocol;

namespace UnitScope.Server.Rpc;

/// <summary>
/// LSP framing (Content-Length headers) that survives bad messages: StreamJsonRpc drops the
/// connection when a message body cannot be read, so a body that is not JSON is answered with
/// ParseError (-32700, id null) and one that is JSON but not a JSON-RPC message with
/// InvalidRequest (-32600), and reading goes on with the next message.
/// </summary>
internal sealed class LspMessageHandler(Stream sendingStream, Stream receivingStream, SystemTextJsonFormatter formatter, DaemonLog log)
    : HeaderDelimitedMessageHandler(sendingStream, receivingStream, formatter)
{
    /// <summary>Past this many bad messages in a row the stream is taken to be broken, and the connection ends.</summary>
    private const int MaxConsecutiveBadMessages = 100;

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        for (var bad = 0; ; bad++)
        {
            JsonRpcError reply;
            try
            {
                return await base.ReadCoreAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (bad >= MaxConsecutiveBadMessages)
            {
                throw;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException
                                      && !cancellationToken.IsCancellationRequested)
            {
                var notJson = e is JsonException { BytePositionInLine: not null } || e.InnerException is JsonException { BytePositionInLine: not null };
                var code = notJson ? ErrorCodes.ParseError : ErrorCodes.InvalidRequest;
                var message = notJson ? $"Parse error: the message is not valid JSON ({e.Message})" : $"Invalid request: {e.Message}";
                log.Warn(message);
                reply = ((IJsonRpcMessageFactory)Formatter).CreateErrorMessage();
                reply.RequestId = RequestId.Null;
                reply.Error = new JsonRpcError.ErrorDetail { Code = (JsonRpcErrorCode)code, Message = message };
            }
            await WriteAsync(reply, cancellationToken).ConfigureAwait(false);
        }
    }
}
