namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// What a format reader found wrong, without the file name; <see cref="CheckpointReader"/> turns it
/// into a <see cref="UnitScopeException"/> that names the file.
/// </summary>
internal sealed class CheckpointProblem(EngineErrorKind kind, string message) : Exception(message)
{
    public EngineErrorKind Kind { get; } = kind;

    public static CheckpointProblem Corrupt(string message) => new(EngineErrorKind.CorruptCheckpoint, message);
}
