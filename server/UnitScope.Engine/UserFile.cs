using System.Runtime.InteropServices;

namespace UnitScope.Engine;

/// <summary>
/// Reading a file the user named (an image, a mask, a dataset's CSV, a model's files, and what is read beside
/// them) with failures as <see cref="UnitScopeException"/>s. Only regular files are opened: a FIFO blocks its
/// reader until someone writes to it, <c>/dev/zero</c> never ends, and a directory or device is no file's
/// content, so each is refused before it is opened (<see cref="RequireRegular"/>). While a remote client's request
/// runs, a path outside the server's roots is refused too (<see cref="ConfineTo"/>).
/// </summary>
public static class UserFile
{
    static readonly AsyncLocal<FileRoots?> Confined = new();

    /// <summary>The roots the calling flow is confined to (a remote client's request), or null.</summary>
    public static FileRoots? Confinement => Confined.Value;

    /// <summary>Until disposed, every file the calling flow reads or writes through here must lie inside <paramref name="roots"/>.</summary>
    public static IDisposable ConfineTo(FileRoots roots)
    {
        var previous = Confined.Value;
        Confined.Value = roots;
        return new Restore(previous);
    }

    sealed class Restore(FileRoots? previous) : IDisposable
    {
        public void Dispose() => Confined.Value = previous;
    }

    /// <summary>Throws when the calling flow is confined and <paramref name="path"/> (a file or folder to read or write) lies outside.</summary>
    /// <param name="what">What the path is, capitalised ("Dataset folder").</param>
    /// <exception cref="UnitScopeException">Forbidden.</exception>
    public static void RequireInside(string path, string what) => Confined.Value?.Check(path, what);

    /// <summary>The file's bytes.</summary>
    /// <param name="what">What the file is, capitalised, for messages: "Image file" gives "Image file not found: '…'."
    /// and "Image file '…' cannot be read: …".</param>
    /// <exception cref="UnitScopeException">FileNotFound naming the file, when it is missing, not a regular file or cannot be read.</exception>
    public static byte[] ReadAllBytes(string path, string what) =>
        Read(path, File.ReadAllBytes, $"{what} not found: '{path}'.", reason => $"{what} '{path}' cannot be read: {reason}");

    /// <summary>What <paramref name="read"/> makes of the file, once it is known to be a regular file.</summary>
    /// <param name="notFound">The message when the file or its folder is missing.</param>
    /// <param name="unreadable">The message, from the reason (the system's, or "it is a FIFO …"), when it cannot be read.</param>
    /// <exception cref="UnitScopeException">FileNotFound with one of the messages.</exception>
    public static T Read<T>(string path, Func<string, T> read, string notFound, Func<string, string> unreadable)
    {
        RequireRegular(path, notFound, unreadable);
        try
        {
            return read(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UnitScopeException(EngineErrorKind.FileNotFound, notFound, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnitScopeException(EngineErrorKind.FileNotFound, unreadable(e.Message), e);
        }
    }

    /// <summary>Throws unless <paramref name="path"/> is a regular file (after symbolic links); opens nothing.</summary>
    /// <exception cref="UnitScopeException">FileNotFound: missing (<paramref name="notFound"/>) or another kind of file.</exception>
    public static void RequireRegular(string path, string notFound, Func<string, string> unreadable)
    {
        RequireInside(path, "File");
        switch (KindOf(path))
        {
            case FileKind.Missing:
                throw new UnitScopeException(EngineErrorKind.FileNotFound, notFound);
            case FileKind.Regular:
                return;
            case var other:
                throw new UnitScopeException(EngineErrorKind.FileNotFound, unreadable($"it is {Describe(other)}, not a regular file."));
        }
    }

    /// <summary>True for an existing regular file the calling flow may read; false for anything else, which reading would refuse or block on.</summary>
    public static bool IsRegular(string path) => KindOf(path) == FileKind.Regular && Confined.Value?.Contains(path) != false;

    /// <summary>What <paramref name="path"/> is, following symbolic links, without opening it.</summary>
    public static FileKind KindOf(string path)
    {
        if (string.IsNullOrEmpty(path) || path.Contains('\0')) return FileKind.Missing;
        if (OperatingSystem.IsLinux()) return LinuxStat.KindOf(path);
        // Elsewhere only directories are told apart; UnitScope runs on Linux.
        return Directory.Exists(path) ? FileKind.Directory : File.Exists(path) ? FileKind.Regular : FileKind.Missing;
    }

    static string Describe(FileKind kind) => kind switch
    {
        FileKind.Directory => "a folder",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "a special file",
    };

    /// <summary>
    /// statx(2): its struct has the same layout on every Linux architecture (unlike stat's), and .NET tells
    /// neither FIFOs nor devices from regular files.
    /// </summary>
    static class LinuxStat
    {
        const int AtFdCwd = -100, StatxType = 0x1, ENOENT = 2, ENOTDIR = 20, ModeOffset = 28;

        [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
        static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);

        public static FileKind KindOf(string path)
        {
            var buffer = new byte[256];
            if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                // Not allowed to look (EACCES …): opening will say why.
                return errno is ENOENT or ENOTDIR ? FileKind.Missing : FileKind.Regular;
            }
            int type = BitConverter.ToUInt16(buffer, ModeOffset) & 0xF000;
            return type switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0x1000 => FileKind.Fifo,
                0x2000 => FileKind.CharacterDevice,
                0x6000 => FileKind.BlockDevice,
                0xC000 => FileKind.Socket,
                _ => FileKind.Other,
            };
        }
    }
}

/// <summary>What a path names.</summary>
public enum FileKind { Missing, Regular, Directory, Fifo, CharacterDevice, BlockDevice, Socket, Other }
