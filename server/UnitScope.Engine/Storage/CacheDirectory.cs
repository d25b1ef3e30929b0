namespace UnitScope.Engine.Storage;

/// <summary>
/// The folder where UnitScope keeps what it computed (dissection results, the generated probe set, …),
/// shared by the CLI and the daemon.
/// </summary>
/// <remarks>
/// Layout: <c>dissections/{checkpoint hash}/{key}.json</c> (<see cref="DissectionStore"/>),
/// <c>analyses/{kind}/{checkpoint hash}/{key}.json</c> (<see cref="AnalysisStore"/>) and the
/// built-in probe sets, one folder each (<c>ProbeSet.EnsureBuiltIn(CacheDirectory.Resolve(), …)</c>
/// creates <c>probe-v{format}-n…-s{seed}/</c>). Everything in it can be deleted at any time.
/// </remarks>
public static class CacheDirectory
{
    /// <summary>Overrides everything else when set and not empty.</summary>
    public const string EnvironmentVariable = "UNITSCOPE_CACHE";

    /// <summary>
    /// <c>$UNITSCOPE_CACHE</c>, else <c>$XDG_CACHE_HOME/unitscope</c>, else <c>~/.cache/unitscope</c>;
    /// an absolute path. The folder is not created: callers create what they write into.
    /// </summary>
    public static string Resolve() => Resolve(Environment.GetEnvironmentVariable);

    /// <summary><see cref="Resolve()"/> with the environment read through <paramref name="getEnvironmentVariable"/> (for tests).</summary>
    public static string Resolve(Func<string, string?> getEnvironmentVariable)
    {
        ArgumentNullException.ThrowIfNull(getEnvironmentVariable);
        if (getEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitFolder)
            return Path.GetFullPath(explicitFolder);
        // The XDG base directory spec ignores a relative XDG_CACHE_HOME.
        if (getEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
            return Path.GetFullPath(Path.Combine(xdg, "unitscope"));
        string home = getEnvironmentVariable("HOME") is { Length: > 0 } h
            ? h
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
            home = Path.GetTempPath();
        return Path.GetFullPath(Path.Combine(home, ".cache", "unitscope"));
    }
}
