namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// A temporary file written once front to back, then read front to back (possibly several times),
/// that never outlives the run: opened with DeleteOnClose, and on Unix unlinked as soon as it is open
/// (the open handle keeps the data), so nothing is left behind even if the process is killed.
/// <see cref="Dispose"/> deletes it on every platform.
/// </summary>
internal sealed class SpillFile : IDisposable
{
    /// <summary>Every spill file's name starts with this.</summary>
    public const string Prefix = "unitscope-dissect-";

    readonly FileStream _stream;

    public SpillFile(string directory, string label)
    {
        Directory.CreateDirectory(directory);
        Path = System.IO.Path.Combine(directory, $"{Prefix}{Guid.NewGuid():N}-{Sanitize(label)}.spill");
        _stream = new FileStream(Path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.SequentialScan);
        if (!OperatingSystem.IsWindows())
            File.Delete(Path);
        Writer = new BinaryWriter(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
        Reader = new BinaryReader(_stream, System.Text.Encoding.UTF8, leaveOpen: true);
    }

    public string Path { get; }
    public BinaryWriter Writer { get; }
    public BinaryReader Reader { get; }
    public long Length => _stream.Length;

    public void Write(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

    public void ReadExactly(Span<byte> bytes) => _stream.ReadExactly(bytes);

    /// <summary>Back to the start, for reading.</summary>
    public void Rewind()
    {
        Writer.Flush();
        _stream.Flush();
        _stream.Position = 0;
    }

    public void Dispose()
    {
        Writer.Dispose();
        Reader.Dispose();
        _stream.Dispose();
        try
        {
            if (File.Exists(Path)) File.Delete(Path);
        }
        catch (IOException)
        {
            // DeleteOnClose already removed it, or will: nothing else to do.
        }
    }

    static string Sanitize(string label) =>
        new(label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').Take(60).ToArray());
}
