using System.Runtime.InteropServices;

namespace UnitScope.Engine;

/// <summary>
/// The folders a remote client may have the daemon read and write in (<c>unitscope serve --tcp … --root DIR</c>):
/// a path counts as inside when the file it names, symbolic links followed, lies under one of them. The daemon's own
/// cache folder is always inside (results and the built-in probe set live there). While a request of a remote
/// connection runs, <see cref="UserFile"/> refuses every path outside (<see cref="UserFile.ConfineTo"/>).
/// </summary>
public sealed class FileRoots
{
    readonly string[] _resolved;

    /// <param name="roots">Existing folders.</param>
    /// <exception cref="UnitScopeException">InvalidArgument: a root that is not an existing folder.</exception>
    public FileRoots(IEnumerable<string> roots, string? cacheDirectory = null)
    {
        var shown = new List<string>();
        var resolved = new List<string>();
        foreach (var root in roots)
        {
            var full = Path.GetFullPath(root);
            if (!Directory.Exists(full))
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The root folder '{root}' does not exist.");
            shown.Add(full);
            resolved.Add(Real(full));
        }
        if (cacheDirectory is not null) resolved.Add(Real(Path.GetFullPath(cacheDirectory)));
        Roots = shown;
        _resolved = [.. resolved];
    }

    /// <summary>The folders as given (made absolute), for messages.</summary>
    public IReadOnlyList<string> Roots { get; }

    /// <summary>Whether what <paramref name="path"/> names (links followed; for a file yet to be written, its folder) lies inside.</summary>
    public bool Contains(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0')) return false;
        string real = Real(Path.GetFullPath(path));
        return _resolved.Any(root => real == root || real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal));
    }

    /// <exception cref="UnitScopeException">Forbidden, naming the path and the roots.</exception>
    public void Check(string path, string what)
    {
        if (!Contains(path))
            throw new UnitScopeException(EngineErrorKind.Forbidden,
                $"{what} '{path}' is outside the folders this server lets remote clients use ({string.Join(", ", Roots)}; " +
                "unitscope serve --root DIR).");
    }

    /// <summary>The path with every symbolic link resolved; for a path that does not exist, its nearest existing ancestor's resolved, plus the rest.</summary>
    static string Real(string full)
    {
        var rest = new Stack<string>();
        string? current = full;
        while (current is not null)
        {
            if (RealPath(current) is { } real)
                return rest.Aggregate(real, Path.Combine);
            rest.Push(Path.GetFileName(current));
            current = Path.GetDirectoryName(current);
        }
        return full;
    }

    static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return File.Exists(path) || Directory.Exists(path) ? path : null;
        IntPtr resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    [DllImport("libc", SetLastError = true)]
    static extern IntPtr realpath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc")]
    static extern void free(IntPtr pointer);
}
