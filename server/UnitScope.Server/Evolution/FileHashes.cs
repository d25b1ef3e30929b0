using System.Collections.Concurrent;
using UnitScope.Engine;
using UnitScope.Engine.Checkpoints;

namespace UnitScope.Server.Evolution;

/// <summary>
/// Checkpoint hashes remembered by path, size and write time: a followed run is listed again whenever its folder
/// changes, and hashing hundreds of checkpoints each time would read gigabytes for the one file that is new.
/// </summary>
internal sealed class FileHashes
{
    private readonly ConcurrentDictionary<(string Path, long Length, DateTime Written), string> _known = new();

    /// <summary>The file's SHA-256, or null when it cannot be read now (deleted, replaced while read).</summary>
    public string? Of(string path, CancellationToken ct)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            var stamp = (Path.GetFullPath(path), info.Length, info.LastWriteTimeUtc);
            if (_known.TryGetValue(stamp, out var hash)) return hash;
            hash = CheckpointReader.ComputeHash(path, ct);
            // Changed while it was read: not remembered (the next listing reads it again).
            info.Refresh();
            if (info.Exists && info.Length == stamp.Item2 && info.LastWriteTimeUtc == stamp.Item3) _known[stamp] = hash;
            return hash;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or UnitScopeException)
        {
            return null;
        }
    }
}
