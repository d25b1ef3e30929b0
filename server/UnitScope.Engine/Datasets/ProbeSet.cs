using System.Collections.Concurrent;

namespace UnitScope.Engine.Datasets;

/// <summary>The built-in probe set, generated once per options into a cache folder.</summary>
public static class ProbeSet
{
    static readonly ConcurrentDictionary<string, object> Gates = new(StringComparer.Ordinal);

    /// <summary>The cache folder name for <paramref name="options"/>: every option and the generator's
    /// format version, so a changed generator never reuses an old set.</summary>
    public static string FolderName(ProbeSetOptions options) =>
        $"probe-v{ProbeSetGenerator.FormatVersion}-n{options.Count}-i{options.ImageSize}-m{options.EffectiveMaskSize}-s{options.Seed}";

    /// <summary>
    /// Opens the probe set for <paramref name="options"/> (default options when null) under
    /// <paramref name="cacheDir"/>, generating it first when it is not there. Generation writes into a temporary
    /// sibling folder and renames it into place, so the set's folder exists only complete; concurrent callers
    /// (threads or processes) generate at most once per process and never see a partial set.
    /// </summary>
    /// <param name="progress">Images generated so far; silent when the set is already cached.</param>
    /// <exception cref="UnitScopeException">InvalidArgument for bad options or a cache path that is a file.</exception>
    /// <exception cref="OperationCanceledException">On cancellation (the temporary folder is removed).</exception>
    public static BrodenDataset EnsureBuiltIn(string cacheDir, ProbeSetOptions? options = null, IProgress<int>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(cacheDir);
        options ??= new ProbeSetOptions();
        options.Validate();
        string cache = Path.GetFullPath(cacheDir);
        if (File.Exists(cache))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The probe set cache '{cache}' is a file, not a folder.");
        string target = Path.Combine(cache, FolderName(options));

        lock (Gates.GetOrAdd(target, _ => new object()))
        {
            if (!Directory.Exists(target))
            {
                Directory.CreateDirectory(cache);
                string temp = Path.Combine(cache, $".{FolderName(options)}.tmp-{Guid.NewGuid():N}");
                try
                {
                    ProbeSetGenerator.Generate(temp, options, progress, ct);
                    try
                    {
                        Directory.Move(temp, target);
                    }
                    catch (IOException) when (Directory.Exists(target))
                    {
                        // Another process renamed its copy first; theirs is complete and identical.
                    }
                }
                finally
                {
                    if (Directory.Exists(temp))
                        TryDelete(temp);
                }
            }
        }
        return BrodenDataset.Open(target);
    }

    static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary folder is harmless: its name is never opened.
        }
    }
}
