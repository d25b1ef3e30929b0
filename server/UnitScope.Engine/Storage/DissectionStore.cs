using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Engine.Storage;

/// <summary>
/// Dissection results on disk, one file per (checkpoint, layer, dataset, options), shared by every
/// UnitScope process of the user (CLI and daemon may read and write at once).
/// </summary>
/// <remarks>
/// <para>Layout: <c>{cache}/dissections/{checkpoint hash}/{key}.json</c>, where {cache} is
/// <see cref="CacheDirectory.Resolve()"/> by default and {key} is <see cref="DissectionKey.Value"/>.
/// Grouping by checkpoint makes "what has been dissected for this model" one folder listing.</para>
/// <para>An entry is one JSON object:
/// <c>{"format":"unitscope-dissection","schemaVersion":1,"key":KEY,"sha256":HASH,"dissection":{…}}</c>,
/// where HASH is the SHA-256 of the exact UTF-8 bytes of the "dissection" value as stored. A write
/// goes to a temporary file in the same folder (a name starting with '.' and ending in ".tmp"), is
/// flushed to disk, then renamed over the entry (atomic on one file system), and the folder is
/// flushed. So a reader sees the old entry, the new one, or none, never half of one; concurrent
/// writers of one key leave one whole entry (the last rename wins).</para>
/// <para>An entry that does not parse, whose checksum or key does not match, or whose content does
/// not describe its key (a torn write from another tool, a truncated copy, bit rot) is never returned:
/// it counts as missing and is removed. Entries with a newer schema version (a newer UnitScope shares
/// the cache) count as missing and are left alone. Temporary files older than an hour (a writer that
/// crashed) are removed when the folder is next written.</para>
/// </remarks>
public sealed class DissectionStore
{
    /// <summary>Version of the entry's JSON layout; see the remarks.</summary>
    public const int SchemaVersion = 1;
    const string Format = "unitscope-dissection";
    const string TempSuffix = ".tmp";
    static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    /// <summary>How results are written inside an entry (camelCase; NaN/Infinity allowed as strings).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <param name="cacheDirectory">The cache folder; default <see cref="CacheDirectory.Resolve()"/>.</param>
    public DissectionStore(string? cacheDirectory = null)
    {
        CacheFolder = Path.GetFullPath(cacheDirectory ?? CacheDirectory.Resolve());
        Folder = Path.Combine(CacheFolder, "dissections");
    }

    public string CacheFolder { get; }

    /// <summary>Where the entries are: <c>{cache}/dissections</c>.</summary>
    public string Folder { get; }

    /// <summary>The file that holds (or would hold) <paramref name="key"/>'s entry.</summary>
    public string PathOf(DissectionKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Path.Combine(Folder, FolderName(key.CheckpointHash), key.Value + ".json");
    }

    /// <summary>The stored result for <paramref name="key"/>, when there is a whole, valid one.</summary>
    public bool TryGet(DissectionKey key, out LayerDissection dissection)
    {
        ArgumentNullException.ThrowIfNull(key);
        var found = ReadOrDiscard(PathOf(key), key.Value);
        dissection = found!;
        return found is not null;
    }

    /// <summary>Stores <paramref name="dissection"/> under <see cref="DissectionKey.For"/> its own key, replacing what was there.</summary>
    /// <exception cref="IOException">The cache folder cannot be written.</exception>
    public void Put(LayerDissection dissection)
    {
        ArgumentNullException.ThrowIfNull(dissection);
        var key = DissectionKey.For(dissection);
        string path = PathOf(key);
        string folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        RemoveStaleTemporaries(folder);

        byte[] entry = Encode(key, dissection);
        string temp = Path.Combine(folder, $".{key.Value}.{Environment.ProcessId}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                stream.Write(entry);
                stream.Flush(flushToDisk: true);
            }
            Replace(temp, path);
        }
        finally
        {
            TryDelete(temp);
        }
        FlushDirectory(folder);
    }

    /// <summary>Removes <paramref name="key"/>'s entry; false when there was none.</summary>
    public bool Remove(DissectionKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string path = PathOf(key);
        if (!File.Exists(path))
            return false;
        TryDelete(path);
        return true;
    }

    /// <summary>
    /// Every valid stored result for the checkpoint (any layer, dataset or options), in no particular
    /// order. Corrupt entries met on the way are removed.
    /// </summary>
    public IEnumerable<LayerDissection> ListFor(string checkpointHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointHash);
        string folder = Path.Combine(Folder, FolderName(checkpointHash.ToLowerInvariant()));
        string[] files;
        try
        {
            files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.json") : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            files = [];
        }
        foreach (string file in files.Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(file);
            if (!IsKeyValue(name))
                continue;
            if (ReadOrDiscard(file, name) is { } dissection)
                yield return dissection;
        }
    }

    /// <summary>The entry's bytes (see the remarks on the class).</summary>
    internal static byte[] Encode(DissectionKey key, LayerDissection dissection)
    {
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(dissection, JsonOptions);
        string hash = Convert.ToHexStringLower(SHA256.HashData(payload));
        byte[] head = Encoding.UTF8.GetBytes(
            $"{{\"format\":\"{Format}\",\"schemaVersion\":{SchemaVersion},\"key\":\"{key.Value}\",\"sha256\":\"{hash}\",\"dissection\":");
        byte[] tail = "}\n"u8.ToArray();
        return [.. head, .. payload, .. tail];
    }

    enum Verdict { Valid, Corrupt, Foreign }

    /// <summary>The valid result in <paramref name="path"/>; null when missing, foreign or corrupt (then removed).</summary>
    static LayerDissection? ReadOrDiscard(string path, string keyValue)
    {
        var (verdict, dissection) = Read(path, keyValue);
        if (verdict != Verdict.Corrupt)
            return dissection;

        // Move the bad entry aside before deleting it: a writer may have renamed a good entry into
        // place since we read, and that one must survive.
        string aside = path + "." + Guid.NewGuid().ToString("N") + ".corrupt" + TempSuffix;
        try
        {
            File.Move(path, aside);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // gone already, or not ours to remove
        }
        var (again, replacement) = Read(aside, keyValue);
        if (again == Verdict.Valid)
        {
            try
            {
                File.Move(aside, path, overwrite: false);
                return replacement;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An even newer entry is in place: keep that one.
            }
        }
        TryDelete(aside);
        return null;
    }

    static (Verdict, LayerDissection?) Read(string path, string keyValue)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (Verdict.Foreign, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable (permissions, a file shrinking under us): missing, but not ours to judge.
            return (Verdict.Foreign, null);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format
                || !root.TryGetProperty("schemaVersion", out var version) || !version.TryGetInt32(out int schema))
                return (Verdict.Corrupt, null);
            if (schema > SchemaVersion)
                return (Verdict.Foreign, null);
            if (schema < SchemaVersion
                || !root.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String || key.GetString() != keyValue
                || !root.TryGetProperty("sha256", out var sha) || sha.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("dissection", out var payload) || payload.ValueKind != JsonValueKind.Object)
                return (Verdict.Corrupt, null);

            byte[] payloadBytes = Encoding.UTF8.GetBytes(payload.GetRawText());
            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(payloadBytes)), sha.GetString(), StringComparison.Ordinal))
                return (Verdict.Corrupt, null);

            var dissection = payload.Deserialize<LayerDissection>(JsonOptions);
            if (dissection is null || !IsWhole(dissection) || DissectionKey.For(dissection).Value != keyValue)
                return (Verdict.Corrupt, null);
            return (Verdict.Valid, dissection);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or FormatException)
        {
            return (Verdict.Corrupt, null);
        }
    }

    /// <summary>No null where the records promise a value (JSON written by hand or by a buggy tool).</summary>
    static bool IsWhole(LayerDissection d) =>
        d.Options is not null && d.Units is not null && d.LabelledByCategory is not null
        && d.Units.All(u => u is not null && u.BestPerCategory is not null && u.TopImages is not null
            && u.BestPerCategory.All(c => c is not null) && u.TopImages.All(t => t is not null));

    /// <summary>A checkpoint hash is hex; anything else is hashed so it can never escape the folder.</summary>
    static string FolderName(string checkpointHash) =>
        checkpointHash.Length is > 0 and <= 128 && checkpointHash.All(char.IsAsciiHexDigitLower)
            ? checkpointHash
            : "x" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(checkpointHash)));

    static bool IsKeyValue(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);

    static void Replace(string temp, string path)
    {
        // rename(2) on Unix; on Windows a reader holding the file open can make the move fail for a moment.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                File.Move(temp, path, overwrite: true);
                return;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && attempt < 20 && OperatingSystem.IsWindows())
            {
                Thread.Sleep(25);
            }
        }
    }

    static void RemoveStaleTemporaries(string folder)
    {
        try
        {
            var now = DateTime.UtcNow;
            foreach (string file in Directory.EnumerateFiles(folder, "*" + TempSuffix))
                if (now - File.GetLastWriteTimeUtc(file) > StaleTempAge)
                    TryDelete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>fsync of the folder, so the rename itself survives a power loss (best effort; Unix only).</summary>
    static void FlushDirectory(string folder)
    {
        if (OperatingSystem.IsWindows())
            return;
        try
        {
            int fd = Posix.open(folder, 0 /* O_RDONLY */);
            if (fd < 0)
                return;
            Posix.fsync(fd);
            Posix.close(fd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    static class Posix
    {
        [DllImport("libc", SetLastError = true)]
        internal static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        internal static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        internal static extern int close(int fd);
    }
}
