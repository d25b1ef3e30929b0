using StreamJsonRpc;
using UnitScope.Engine;
using UnitScope.Protocol;

namespace UnitScope.Server.Rpc;

/// <summary>Builds the JSON-RPC errors the daemon sends (codes documented in <see cref="ErrorCodes"/>).</summary>
internal static class RpcErrors
{
    /// <summary>A UnitScope error: its code, the message as is, <c>data: {kind}</c>.</summary>
    public static LocalRpcException Application(ErrorKind kind, string message) =>
        new(message) { ErrorCode = ErrorCodes.Of(kind), ErrorData = new ErrorData(kind) };

    public static LocalRpcException From(UnitScopeException e) => Application(KindOf(e.Kind), e.Message);

    public static LocalRpcException Standard(int code, string message) => new(message) { ErrorCode = code };

    public static LocalRpcException InvalidParams(string message) => Standard(ErrorCodes.InvalidParams, message);

    public static LocalRpcException UnknownModel(string modelId, IEnumerable<string> loaded)
    {
        var ids = loaded.ToList();
        return Application(ErrorKind.UnknownModel, ids.Count == 0
            ? $"No model with id '{modelId}' is loaded; no model is loaded."
            : $"No model with id '{modelId}' is loaded; loaded: {string.Join(", ", ids)}.");
    }

    /// <summary>Engine kinds map by name onto protocol kinds (a test checks every one exists).</summary>
    public static ErrorKind KindOf(EngineErrorKind kind) =>
        Enum.TryParse<ErrorKind>(kind.ToString(), out var mapped) ? mapped : ErrorKind.NativeRuntime;
}
