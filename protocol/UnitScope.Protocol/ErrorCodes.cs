using System.Text.Json.Serialization;

namespace UnitScope.Protocol;

/// <summary>
/// Error codes of JSON-RPC error responses. UnitScope's own codes are positive (1001–1099), outside
/// the ranges JSON-RPC (-32768…-32000) and LSP (-32899…-32800) reserve; each has an
/// <see cref="ErrorKind"/> of the same name, sent in the error's <c>data.kind</c>.
/// </summary>
public static class ErrorCodes
{
    // JSON-RPC 2.0.
    /// <summary>The message is not valid JSON.</summary>
    public const int ParseError = -32700;
    /// <summary>Valid JSON but not a JSON-RPC request.</summary>
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    /// <summary>Params missing, of the wrong type, or lacking a required property.</summary>
    public const int InvalidParams = -32602;
    /// <summary>An unexpected failure in the daemon; the message says what. The daemon keeps serving.</summary>
    public const int InternalError = -32603;

    // LSP.
    /// <summary>A request arrived before <c>initialize</c>.</summary>
    public const int ServerNotInitialized = -32002;
    /// <summary>The request was cancelled with <c>$/cancelRequest</c>.</summary>
    public const int RequestCancelled = -32800;

    // UnitScope (one per ErrorKind).
    /// <summary>The checkpoint or image file does not exist.</summary>
    public const int FileNotFound = 1001;
    /// <summary>The checkpoint cannot be read (truncated, not a checkpoint, bad tensors).</summary>
    public const int CorruptCheckpoint = 1002;
    /// <summary>The checkpoint's pickle asks for something other than tensors (e.g. code execution); nothing was executed.</summary>
    public const int UnsafeCheckpoint = 1003;
    /// <summary>The checkpoint's tensors do not fit the requested architecture.</summary>
    public const int ArchitectureMismatch = 1004;
    /// <summary>No architecture of that name, or none detected from the state_dict.</summary>
    public const int UnknownArchitecture = 1005;
    /// <summary>No layer of that name in the model; the message lists close names.</summary>
    public const int UnknownLayer = 1006;
    /// <summary>The unit index is outside [0, units).</summary>
    public const int UnitOutOfRange = 1007;
    /// <summary>The image cannot be decoded.</summary>
    public const int BadImage = 1008;
    /// <summary>An option is invalid (input size, mean/std length, device, top…).</summary>
    public const int InvalidArgument = 1009;
    /// <summary>The native runtime (libtorch, device) failed.</summary>
    public const int NativeRuntime = 1010;
    /// <summary>No loaded model has that id.</summary>
    public const int UnknownModel = 1011;
    /// <summary>TCP connection without the right token in <c>initializationOptions.token</c>; the connection is closed.</summary>
    public const int Unauthorized = 1012;
    /// <summary>
    /// A TCP client asked for what the server does not allow remote clients: a file outside the folders it was started
    /// with (<c>--root</c>), or C# model code without <c>--allow-code</c>. The connection stays open.
    /// </summary>
    public const int Forbidden = 1013;
    /// <summary>The evaluation set's classes cannot be matched to the model's outputs (by name, or by position without
    /// names and with another number of classes); the message says how to fix it. Clients offer another set.</summary>
    public const int ClassMismatch = 1014;

    /// <summary>The code of an application error kind.</summary>
    public static int Of(ErrorKind kind) => kind switch
    {
        ErrorKind.FileNotFound => FileNotFound,
        ErrorKind.CorruptCheckpoint => CorruptCheckpoint,
        ErrorKind.UnsafeCheckpoint => UnsafeCheckpoint,
        ErrorKind.ArchitectureMismatch => ArchitectureMismatch,
        ErrorKind.UnknownArchitecture => UnknownArchitecture,
        ErrorKind.UnknownLayer => UnknownLayer,
        ErrorKind.UnitOutOfRange => UnitOutOfRange,
        ErrorKind.BadImage => BadImage,
        ErrorKind.InvalidArgument => InvalidArgument,
        ErrorKind.NativeRuntime => NativeRuntime,
        ErrorKind.UnknownModel => UnknownModel,
        ErrorKind.Unauthorized => Unauthorized,
        ErrorKind.Forbidden => Forbidden,
        ErrorKind.ClassMismatch => ClassMismatch,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}

/// <summary>What went wrong, as a name clients can branch on (the error's <c>data.kind</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ErrorKind>))]
public enum ErrorKind
{
    FileNotFound,
    CorruptCheckpoint,
    UnsafeCheckpoint,
    ArchitectureMismatch,
    UnknownArchitecture,
    UnknownLayer,
    UnitOutOfRange,
    BadImage,
    InvalidArgument,
    NativeRuntime,
    UnknownModel,
    Unauthorized,
    Forbidden,
    ClassMismatch,
}

/// <summary>The <c>data</c> of every UnitScope error response.</summary>
public sealed record ErrorData(ErrorKind Kind);
