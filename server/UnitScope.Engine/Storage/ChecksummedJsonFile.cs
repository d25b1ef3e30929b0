using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace UnitScope.Engine.Storage;

/// <summary>
/// One kind of content-addressed result file in the cache: a JSON envelope around a payload, with its
/// checksum, written atomically and verified when read. <see cref="DissectionStore"/> and
/// <see cref="AnalysisStore"/> are built on it; they keep only their keys, their layouts and their checks
/// of what a payload must contain.
/// </summary>
/// <remarks>
/// <para>An entry is one line of JSON, in this order:
/// <c>{"format":FORMAT,"schemaVersion":N,LABEL:VALUE…,"key":KEY,"sha256":HASH,PAYLOAD NAME:{…}}</c> and '\n',
/// where the labels (e.g. "kind") are the ones given to the constructor and HASH is the lowercase hex SHA-256
/// of the exact UTF-8 bytes of the payload as stored. The bytes are the same as those the two stores wrote
/// before they shared this type, so their entries still read back.</para>
/// <para>A write goes to a temporary file in the entry's folder (a name starting with '.' and ending in
/// ".tmp"), is flushed to disk, renamed over the entry (atomic on one file system), and the folder is flushed
/// (Unix). So a reader sees the old entry, the new one or none, never half of one; concurrent writers of one
/// entry leave one whole entry (the last rename wins). Temporary files older than an hour (a writer that
/// crashed) are removed when the folder is next written.</para>
/// <para>An entry that does not parse, is of another format or an older schema, whose checksum, key or labels
/// do not match, or whose payload fails the caller's check is corrupt: never returned, and removed (moved
/// aside first, so that a good entry renamed into place meanwhile survives). An entry of a newer schema (a newer
/// UnitScope shares the cache), or one that cannot be read, is missing and left alone.</para>
/// </remarks>
internal sealed class ChecksummedJsonFile
{
    /// <summary>How temporary files end (those being written, and corrupt entries moved aside).</summary>
    internal const string TempSuffix = ".tmp";

    /// <summary>Temporary files older than this belong to a writer that is gone.</summary>
    internal static readonly TimeSpan StaleTempAge = TimeSpan.FromHours(1);

    readonly JsonSerializerOptions _json;
    readonly string[] _labelNames;

    /// <param name="format">The envelope's "format" value.</param>
    /// <param name="schemaVersion">The envelope's "schemaVersion": entries of an older one are corrupt, of a newer one missing.</param>
    /// <param name="payloadName">The name of the property that holds the payload.</param>
    /// <param name="json">How payloads are serialised.</param>
    /// <param name="labelNames">String properties between "schemaVersion" and "key" whose values each entry must match.</param>
    public ChecksummedJsonFile(string format, int schemaVersion, string payloadName, JsonSerializerOptions json, params string[] labelNames)
    {
        ArgumentException.ThrowIfNullOrEmpty(format);
        ArgumentException.ThrowIfNullOrEmpty(payloadName);
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(labelNames);
        Format = format;
        SchemaVersion = schemaVersion;
        PayloadName = payloadName;
        _json = json;
        _labelNames = [.. labelNames];
    }

    public string Format { get; }
    public int SchemaVersion { get; }
    public string PayloadName { get; }

    /// <summary>The entry's bytes (see the remarks).</summary>
    /// <param name="labels">The values of the label properties, in the constructor's order.</param>
    public byte[] Encode<T>(T payload, string key, params string[] labels)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentException.ThrowIfNullOrEmpty(key);
        CheckLabels(labels);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(payload, _json);
        var buffer = new MemoryStream(body.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("format", Format);
            writer.WriteNumber("schemaVersion", SchemaVersion);
            for (int i = 0; i < labels.Length; i++)
                writer.WriteString(_labelNames[i], labels[i]);
            writer.WriteString("key", key);
            writer.WriteString("sha256", Checksum(body));
            writer.WritePropertyName(PayloadName);
            writer.WriteRawValue(body, skipInputValidation: true);
            writer.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>
    /// Writes <paramref name="payload"/> as the entry at <paramref name="path"/> (creating its folder), replacing
    /// what was there, atomically (see the remarks).
    /// </summary>
    /// <exception cref="IOException">The folder cannot be written.</exception>
    public void Write<T>(string path, T payload, string key, params string[] labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] entry = Encode(payload, key, labels);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        RemoveStaleTemporaries(folder);

        string temp = Path.Combine(folder, $".{key}.{Environment.ProcessId}.{Guid.NewGuid():N}{TempSuffix}");
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

    /// <summary>
    /// The payload of the entry at <paramref name="path"/> when it is whole and valid for <paramref name="key"/> and
    /// <paramref name="labels"/>; null when missing, unreadable, of a newer schema, or corrupt (then removed).
    /// </summary>
    /// <param name="isValid">What the payload must also satisfy (e.g. describe its own key); null: anything that deserialises.</param>
    public T? ReadOrDiscard<T>(string path, Func<T, bool>? isValid, string key, params string[] labels) where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(key);
        CheckLabels(labels);
        var (verdict, payload) = Read(path, isValid, key, labels);
        if (verdict != Verdict.Corrupt)
            return payload;

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
        var (again, replacement) = Read(aside, isValid, key, labels);
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

    /// <summary>
    /// The payload of the entry at <paramref name="path"/> when it is whole and valid, else null and, in
    /// <paramref name="problem"/>, why not. Nothing is removed: this is for files the user owns (a sharded
    /// dissection's partial state), whose damage is reported, not repaired.
    /// </summary>
    public T? ReadOrExplain<T>(string path, Func<T, bool>? isValid, string key, out string? problem, params string[] labels) where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(key);
        CheckLabels(labels);
        var (verdict, payload) = Read(path, isValid, key, labels);
        problem = verdict switch
        {
            Verdict.Valid => null,
            Verdict.Corrupt => "it is damaged (not whole JSON, another format, or its checksum, key or contents do not match)",
            _ => File.Exists(path) ? "it cannot be read, or a newer UnitScope wrote it" : "it does not exist",
        };
        return payload;
    }

    /// <summary>Removes the entry at <paramref name="path"/>; false when there was none.</summary>
    public static bool Remove(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            return false;
        TryDelete(path);
        return true;
    }

    /// <summary>
    /// The folder name for a checkpoint hash: the hash in lowercase when it is 1 to 128 hex digits, else "x" and the
    /// SHA-256 of the text as given, so that no name can leave the store's folder.
    /// </summary>
    public static string FolderName(string checkpointHash)
    {
        ArgumentNullException.ThrowIfNull(checkpointHash);
        string lower = checkpointHash.ToLowerInvariant();
        return lower.Length is > 0 and <= 128 && lower.All(char.IsAsciiHexDigitLower)
            ? lower
            : "x" + Checksum(Encoding.UTF8.GetBytes(checkpointHash));
    }

    enum Verdict { Valid, Corrupt, Missing }

    (Verdict, T?) Read<T>(string path, Func<T, bool>? isValid, string key, string[] labels) where T : class
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Missing, or unreadable (permissions, a file shrinking under us): not ours to judge.
            return (Verdict.Missing, null);
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !HasString(root, "format", Format)
                || !root.TryGetProperty("schemaVersion", out var version) || !version.TryGetInt32(out int schema))
                return (Verdict.Corrupt, null);
            if (schema > SchemaVersion)
                return (Verdict.Missing, null);
            if (schema < SchemaVersion || !HasString(root, "key", key))
                return (Verdict.Corrupt, null);
            for (int i = 0; i < labels.Length; i++)
                if (!HasString(root, _labelNames[i], labels[i]))
                    return (Verdict.Corrupt, null);
            if (!root.TryGetProperty("sha256", out var sha) || sha.ValueKind != JsonValueKind.String
                || !root.TryGetProperty(PayloadName, out var body) || body.ValueKind != JsonValueKind.Object)
                return (Verdict.Corrupt, null);

            if (!string.Equals(Checksum(Encoding.UTF8.GetBytes(body.GetRawText())), sha.GetString(), StringComparison.Ordinal))
                return (Verdict.Corrupt, null);

            var payload = body.Deserialize<T>(_json);
            if (payload is null || (isValid is not null && !isValid(payload)))
                return (Verdict.Corrupt, null);
            return (Verdict.Valid, payload);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or FormatException)
        {
            return (Verdict.Corrupt, null);
        }
    }

    static bool HasString(JsonElement root, string name, string value) =>
        root.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.String && property.GetString() == value;

    void CheckLabels(string[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length != _labelNames.Length)
            throw new ArgumentException($"Expected {_labelNames.Length} label value(s) ({string.Join(", ", _labelNames)}), got {labels.Length}.", nameof(labels));
    }

    static string Checksum(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

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
