namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// Whether a checkpoint that training may still be writing is complete: its size and time unchanged over a short wait,
/// and its structure whole (<see cref="CheckpointReader.ReadOutline"/> checks a zip's directory, a pickle's end and a
/// safetensors header against the file's length, and reads no weights). A background summary reads a file only then,
/// so it never summarises half a file (and never caches what half a file gave).
/// </summary>
public static class CheckpointCompleteness
{
    /// <summary>False while the file changes, is missing or is not (yet) a whole checkpoint.</summary>
    /// <param name="settle">How long its size and time must stay the same.</param>
    /// <exception cref="OperationCanceledException">During the wait.</exception>
    public static bool IsComplete(string path, TimeSpan settle, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Stamp(path) is not { } before) return false;
        if (settle > TimeSpan.Zero) ct.WaitHandle.WaitOne(settle);
        ct.ThrowIfCancellationRequested();
        if (Stamp(path) != before) return false;
        try
        {
            CheckpointReader.ReadOutline(path, ct);
        }
        catch (UnitScopeException)
        {
            return false;
        }
        // Written to while it was read: not yet.
        return Stamp(path) == before;
    }

    static (long Length, DateTime Written)? Stamp(string path)
    {
        var info = new FileInfo(path);
        try
        {
            return info.Exists ? (info.Length, info.LastWriteTimeUtc) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
