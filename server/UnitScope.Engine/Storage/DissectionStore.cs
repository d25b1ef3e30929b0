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
/// <para>An entry is one JSON object (a <see cref="ChecksummedJsonFile"/>):
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

    /// <summary>How results are written inside an entry (camelCase; NaN/Infinity allowed as strings).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    // After JsonOptions: static initialisers run in textual order.
    static readonly ChecksummedJsonFile Entries = new(Format, SchemaVersion, "dissection", JsonOptions);

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
        return Path.Combine(Folder, ChecksummedJsonFile.FolderName(key.CheckpointHash), key.Value + ".json");
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
        Entries.Write(PathOf(key), dissection, key.Value);
    }

    /// <summary>Removes <paramref name="key"/>'s entry; false when there was none.</summary>
    public bool Remove(DissectionKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ChecksummedJsonFile.Remove(PathOf(key));
    }

    /// <summary>
    /// Every valid stored result for the checkpoint (any layer, dataset or options), in no particular
    /// order. Corrupt entries met on the way are removed.
    /// </summary>
    public IEnumerable<LayerDissection> ListFor(string checkpointHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointHash);
        // Lowercased first, as in a DissectionKey: a name that is not hex is then hashed as PathOf hashes it.
        string folder = Path.Combine(Folder, ChecksummedJsonFile.FolderName(checkpointHash.ToLowerInvariant()));
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
    internal static byte[] Encode(DissectionKey key, LayerDissection dissection) => Entries.Encode(dissection, key.Value);

    /// <summary>The valid result in <paramref name="path"/>; null when missing, foreign or corrupt (then removed).</summary>
    static LayerDissection? ReadOrDiscard(string path, string keyValue) =>
        Entries.ReadOrDiscard<LayerDissection>(path, d => IsWhole(d) && DissectionKey.For(d).Value == keyValue, keyValue);

    /// <summary>No null where the records promise a value (JSON written by hand or by a buggy tool).</summary>
    static bool IsWhole(LayerDissection d) =>
        d.Options is not null && d.Units is not null && d.LabelledByCategory is not null
        && d.Units.All(u => u is not null && u.BestPerCategory is not null && u.TopImages is not null
            && u.BestPerCategory.All(c => c is not null) && u.TopImages.All(t => t is not null));

    static bool IsKeyValue(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);
}
