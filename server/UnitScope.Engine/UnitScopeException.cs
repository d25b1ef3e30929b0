namespace UnitScope.Engine;

/// <summary>What went wrong, in a form the daemon maps to a documented JSON-RPC error code.</summary>
public enum EngineErrorKind
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
    /// <summary>A remote client named a file outside the server's roots, or asked for what the server does not allow it (code).</summary>
    Forbidden,
    /// <summary>An evaluation set's classes cannot be matched to the model's outputs (names, or count without names):
    /// measuring accuracy on it would mean nothing. Clients offer another set.</summary>
    ClassMismatch,
}

/// <summary>
/// An error caused by the user's input (file, checkpoint, layer, unit, option). The message names
/// the problem and is meant to be shown as is; nothing in the engine's state is changed by it.
/// </summary>
public class UnitScopeException(EngineErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public EngineErrorKind Kind { get; } = kind;
}
