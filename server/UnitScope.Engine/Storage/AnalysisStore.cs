using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace UnitScope.Engine.Storage;

/// <summary>
/// Occlusion, ablation, ranking and single-unit results on disk, one file per <see cref="AnalysisKey"/>, shared
/// by every UnitScope process of the user, with the same guarantees as <see cref="DissectionStore"/>.
/// </summary>
/// <remarks>
/// <para>Layout: <c>{cache}/analyses/{kind}/{checkpoint hash}/{key}.json</c>. An entry is one JSON object
/// <c>{"format":"unitscope-analysis","schemaVersion":1,"kind":KIND,"key":KEY,"sha256":HASH,"result":{…}}</c>, HASH
/// the SHA-256 of the exact UTF-8 bytes of the "result" value, serialised with <see cref="DissectionStore.JsonOptions"/>.</para>
/// <para>Writes go to a temporary file in the entry's folder ('.' first, ".tmp" last), flushed, then renamed over
/// the entry: readers see the old entry, the new one or none. An entry that does not parse, whose checksum, kind
/// or key does not match, is missing (and removed); one with a newer schema is missing and left alone.</para>
/// <para>The write and verification steps repeat <see cref="DissectionStore"/>'s, whose helpers are private to it;
/// the two could share one envelope type.</para>
/// </remarks>
public sealed class AnalysisStore
{
    public const int SchemaVersion = 1;
    const string Format = "unitscope-analysis";
    const string TempSuffix = ".tmp";
    static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    /// <param name="cacheDirectory">The cache folder; default <see cref="CacheDirectory.Resolve()"/>.</param>
    public AnalysisStore(string? cacheDirectory = null)
    {
        CacheFolder = Path.GetFullPath(cacheDirectory ?? CacheDirectory.Resolve());
        Folder = Path.Combine(CacheFolder, "analyses");
    }

    public string CacheFolder { get; }

    /// <summary><c>{cache}/analyses</c>.</summary>
    public string Folder { get; }

    public string PathOf(AnalysisKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Path.Combine(Folder, key.Kind, SafeName(key.CheckpointHash), key.Value + ".json");
    }

    /// <summary>The stored result for <paramref name="key"/>, when there is a whole, valid one of type <typeparamref name="T"/>.</summary>
    public bool TryGet<T>(AnalysisKey key, out T result) where T : class
    {
        ArgumentNullException.ThrowIfNull(key);
        string path = PathOf(key);
        var (verdict, found) = Read<T>(path, key);
        if (verdict == Verdict.Corrupt)
            Discard<T>(path, key);
        result = found!;
        return found is not null;
    }

    /// <summary>Stores <paramref name="result"/> under <paramref name="key"/>, replacing what was there.</summary>
    /// <exception cref="IOException">The cache folder cannot be written.</exception>
    public void Put<T>(AnalysisKey key, T result) where T : class
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(result);
        string path = PathOf(key);
        string folder = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(folder);
        RemoveStaleTemporaries(folder);
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(result, DissectionStore.JsonOptions);
        string hash = Convert.ToHexStringLower(SHA256.HashData(payload));
        byte[] entry = [.. Encoding.UTF8.GetBytes(
            $"{{\"format\":\"{Format}\",\"schemaVersion\":{SchemaVersion},\"kind\":\"{key.Kind}\",\"key\":\"{key.Value}\",\"sha256\":\"{hash}\",\"result\":"),
            .. payload, .. "}\n"u8];
        string temp = Path.Combine(folder, $".{key.Value}.{Environment.ProcessId}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                stream.Write(entry);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    /// <summary>
    /// The stored result for <paramref name="key"/>, else <paramref name="compute"/>'s, which is then stored
    /// (a failure to store is told to <paramref name="log"/>, and the result still returned).
    /// </summary>
    public T GetOrCompute<T>(AnalysisKey key, Func<T> compute, out bool cached, Action<string>? log = null) where T : class
    {
        ArgumentNullException.ThrowIfNull(compute);
        if (TryGet<T>(key, out var stored))
        {
            cached = true;
            return stored;
        }
        cached = false;
        var result = compute();
        try
        {
            Put(key, result);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log?.Invoke($"Could not store the {key.Kind} result in {Folder}: {e.Message}");
        }
        return result;
    }

    /// <summary>Removes <paramref name="key"/>'s entry; false when there was none.</summary>
    public bool Remove(AnalysisKey key)
    {
        string path = PathOf(key);
        if (!File.Exists(path)) return false;
        TryDelete(path);
        return true;
    }

    enum Verdict { Valid, Corrupt, Foreign }

    static (Verdict, T?) Read<T>(string path, AnalysisKey key) where T : class
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (Verdict.Foreign, null); // missing, or not ours to judge
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
                || !root.TryGetProperty("kind", out var kind) || kind.ValueKind != JsonValueKind.String || kind.GetString() != key.Kind
                || !root.TryGetProperty("key", out var stored) || stored.ValueKind != JsonValueKind.String || stored.GetString() != key.Value
                || !root.TryGetProperty("sha256", out var sha) || sha.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("result", out var payload) || payload.ValueKind != JsonValueKind.Object)
                return (Verdict.Corrupt, null);
            byte[] payloadBytes = Encoding.UTF8.GetBytes(payload.GetRawText());
            if (Convert.ToHexStringLower(SHA256.HashData(payloadBytes)) != sha.GetString())
                return (Verdict.Corrupt, null);
            var result = payload.Deserialize<T>(DissectionStore.JsonOptions);
            return result is null ? (Verdict.Corrupt, null) : (Verdict.Valid, result);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or FormatException)
        {
            return (Verdict.Corrupt, null);
        }
    }

    /// <summary>Moves a corrupt entry aside before deleting it, so a good one renamed into place meanwhile survives.</summary>
    static void Discard<T>(string path, AnalysisKey key) where T : class
    {
        string aside = path + "." + Guid.NewGuid().ToString("N") + ".corrupt" + TempSuffix;
        try
        {
            File.Move(path, aside);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        try
        {
            if (Read<T>(aside, key).Item1 == Verdict.Valid)
                File.Move(aside, path, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        TryDelete(aside);
    }

    static string SafeName(string checkpointHash)
    {
        string lower = checkpointHash.ToLowerInvariant();
        return lower.Length is > 0 and <= 128 && lower.All(char.IsAsciiHexDigitLower)
            ? lower
            : "x" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(checkpointHash)));
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
}
