namespace UnitScope.Engine;

/// <summary>Reading a file the user named (an image, a mask, a dataset's CSV) with failures as <see cref="UnitScopeException"/>s.</summary>
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
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"{what} '{path}' cannot be read: {e.Message}", e);
        }
    }
}
