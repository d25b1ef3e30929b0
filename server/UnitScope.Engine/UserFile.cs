namespace UnitScope.Engine;

/// <summary>Reading a file the user named (an image, a mask, a dataset's CSV, a model's files) with failures as <see cref="UnitScopeException"/>s.</summary>
internal static class UserFile
{
    /// <summary>The file's bytes.</summary>
    /// <param name="what">What the file is, capitalised, for messages: "Image file" gives "Image file not found: '…'."
    /// and "Image file '…' cannot be read: …".</param>
    /// <exception cref="UnitScopeException">FileNotFound naming the file, when it is missing or cannot be read.</exception>
    public static byte[] ReadAllBytes(string path, string what)
    {
        if (!File.Exists(path))
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"{what} not found: '{path}'.");
        return Read(path, File.ReadAllBytes, $"{what} not found: '{path}'.", reason => $"{what} '{path}' cannot be read: {reason}");
    }

    /// <summary>What <paramref name="read"/> makes of the file.</summary>
    /// <param name="notFound">The message when the file or its folder is missing.</param>
    /// <param name="unreadable">The message, from the system's reason, when it cannot be read.</param>
    /// <exception cref="UnitScopeException">FileNotFound with one of the messages.</exception>
    public static T Read<T>(string path, Func<string, T> read, string notFound, Func<string, string> unreadable)
    {
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
}
