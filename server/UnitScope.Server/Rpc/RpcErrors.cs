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

    /// <summary>
    /// The wire kind of an engine error. The engine knows no protocol, so the two enums meet only here, in a
    /// switch with no default arm: a kind added to the engine and not mapped fails the build (CS8509 is an
    /// error in this project), rather than being matched by name at run time.
    /// </summary>
    public static ErrorKind KindOf(EngineErrorKind kind) => kind switch
    {
        EngineErrorKind.FileNotFound => ErrorKind.FileNotFound,
        EngineErrorKind.CorruptCheckpoint => ErrorKind.CorruptCheckpoint,
        EngineErrorKind.UnsafeCheckpoint => ErrorKind.UnsafeCheckpoint,
        EngineErrorKind.ArchitectureMismatch => ErrorKind.ArchitectureMismatch,
        EngineErrorKind.UnknownArchitecture => ErrorKind.UnknownArchitecture,
        EngineErrorKind.UnknownLayer => ErrorKind.UnknownLayer,
        EngineErrorKind.UnitOutOfRange => ErrorKind.UnitOutOfRange,
        EngineErrorKind.BadImage => ErrorKind.BadImage,
        EngineErrorKind.InvalidArgument => ErrorKind.InvalidArgument,
        EngineErrorKind.NativeRuntime => ErrorKind.NativeRuntime,
        EngineErrorKind.Forbidden => ErrorKind.Forbidden,
        EngineErrorKind.ClassMismatch => ErrorKind.ClassMismatch,
    };
}
