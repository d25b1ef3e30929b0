namespace UnitScope.Engine.Storage;

/// <summary>
/// Occlusion, ablation, ranking and single-unit results on disk, one file per <see cref="AnalysisKey"/>, shared
/// by every UnitScope process of the user, with the same guarantees as <see cref="DissectionStore"/>.
/// </summary>
/// <remarks>
/// <para>Layout: <c>{cache}/analyses/{kind}/{checkpoint hash}/{key}.json</c>. An entry is one JSON object (a
/// <see cref="ChecksummedJsonFile"/>)
/// <c>{"format":"unitscope-analysis","schemaVersion":1,"kind":KIND,"key":KEY,"sha256":HASH,"result":{…}}</c>, HASH
/// the SHA-256 of the exact UTF-8 bytes of the "result" value, serialised with <see cref="DissectionStore.JsonOptions"/>.</para>
/// <para>Writes go to a temporary file in the entry's folder ('.' first, ".tmp" last), flushed, renamed over
/// the entry, and the folder flushed: readers see the old entry, the new one or none. An entry that does not
/// parse, whose checksum, kind or key does not match, is missing (and removed); one with a newer schema is
/// missing and left alone. Temporary files older than an hour are removed when the folder is next written.</para>
/// </remarks>
public sealed class AnalysisStore
{
    public const int SchemaVersion = 1;
    const string Format = "unitscope-analysis";

    /// <summary>The entries' envelope (internal for tests).</summary>
    internal static readonly ChecksummedJsonFile Entries = new(Format, SchemaVersion, "result", DissectionStore.JsonOptions, "kind");

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
        return Path.Combine(Folder, key.Kind, ChecksummedJsonFile.FolderName(key.CheckpointHash), key.Value + ".json");
    }

    /// <summary>The stored result for <paramref name="key"/>, when there is a whole, valid one of type <typeparamref name="T"/>.</summary>
    public bool TryGet<T>(AnalysisKey key, out T result) where T : class
    {
        ArgumentNullException.ThrowIfNull(key);
        var found = Entries.ReadOrDiscard<T>(PathOf(key), null, key.Value, key.Kind);
        result = found!;
        return found is not null;
    }

    /// <summary>Stores <paramref name="result"/> under <paramref name="key"/>, replacing what was there.</summary>
    /// <exception cref="IOException">The cache folder cannot be written.</exception>
    public void Put<T>(AnalysisKey key, T result) where T : class
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(result);
        Entries.Write(PathOf(key), result, key.Value, key.Kind);
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
        ArgumentNullException.ThrowIfNull(key);
        return ChecksummedJsonFile.Remove(PathOf(key));
    }
}
