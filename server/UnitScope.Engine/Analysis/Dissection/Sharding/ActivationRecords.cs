using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace UnitScope.Engine.Analysis.Dissection.Sharding;

/// <summary>
/// One layer's activations of one shard, as the model produced them (float32, not resampled): the header
/// (<see cref="Magic"/>, units, height, width as int32), then per image its dataset index, mask height and width
/// (int32) and its maps [units × h × w]; little-endian, 12 + 4·units·h·w bytes per image. Float32 because the
/// merge must threshold exactly the values one run would have (see <see cref="Dissector"/>'s spill).
/// </summary>
internal static class ActivationRecords
{
    public static ReadOnlySpan<byte> Magic => "USACTS01"u8;
    public const int HeaderBytes = 8 + 3 * sizeof(int);

    /// <summary>Bytes per image of a layer of <paramref name="units"/> maps of <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static long BytesPerImage(int units, int height, int width) => 3 * sizeof(int) + 4L * units * height * width;

    /// <summary>The lowercase hex SHA-256 of a file's bytes, read front to back.</summary>
    public static string Sha256(string path, CancellationToken ct)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (int read; (read = stream.Read(buffer)) > 0;)
        {
            ct.ThrowIfCancellationRequested();
            hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>
/// Writes an <see cref="ActivationRecords"/> file: to a temporary name beside it, hashed as it goes, and renamed into
/// place only by <see cref="Complete"/> (after a flush to disk), so a shard that dies leaves no file that looks whole.
/// </summary>
internal sealed class ActivationRecordWriter : IDisposable
{
    readonly FileStream _stream;
    readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    readonly string _path;
    readonly string _temp;
    readonly int _imageFloats;
    bool _completed;

    public ActivationRecordWriter(string path, int units, int height, int width)
    {
        _path = path;
        _temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        _imageFloats = units * height * width;
        _stream = new FileStream(_temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        Put(ActivationRecords.Magic);
        Span<int> header = [units, height, width];
        Put(MemoryMarshal.AsBytes(header));
    }

    public long Images { get; private set; }

    public void Write(int image, int maskHeight, int maskWidth, ReadOnlySpan<float> maps)
    {
        if (maps.Length != _imageFloats) throw new ArgumentException($"{maps.Length} values, not {_imageFloats}.", nameof(maps));
        Span<int> header = [image, maskHeight, maskWidth];
        Put(MemoryMarshal.AsBytes(header));
        Put(MemoryMarshal.AsBytes(maps));
        Images++;
    }

    /// <summary>Flushes to disk and renames the file into place; returns its length and SHA-256.</summary>
    public (long Bytes, string Sha256) Complete()
    {
        _stream.Flush(flushToDisk: true);
        long bytes = _stream.Length;
        _stream.Dispose();
        File.Move(_temp, _path, overwrite: true);
        _completed = true;
        return (bytes, Convert.ToHexStringLower(_hash.GetHashAndReset()));
    }

    void Put(ReadOnlySpan<byte> bytes)
    {
        _stream.Write(bytes);
        _hash.AppendData(bytes);
    }

    public void Dispose()
    {
        _stream.Dispose();
        _hash.Dispose();
        if (!_completed)
            try { File.Delete(_temp); } catch (IOException) { }
    }
}

/// <summary>Reads an <see cref="ActivationRecords"/> file front to back (its checksum is checked before, by the merge).</summary>
internal sealed class ActivationRecordReader : IDisposable
{
    readonly FileStream _stream;
    readonly int _imageFloats;

    /// <exception cref="UnitScopeException">InvalidArgument when the header is not this layer's (named by <paramref name="path"/>).</exception>
    public ActivationRecordReader(string path, int units, int height, int width)
    {
        Path = path;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[8];
        Span<int> shape = stackalloc int[3];
        if (_stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) < 8 || !magic.SequenceEqual(ActivationRecords.Magic)
            || _stream.ReadAtLeast(MemoryMarshal.AsBytes(shape), 12, throwOnEndOfStream: false) < 12
            || shape[0] != units || shape[1] != height || shape[2] != width)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{path} is not a shard's activations of a layer of {units} maps of {height}x{width}: its header does not match its manifest.");
        _imageFloats = units * height * width;
    }

    public string Path { get; }

    /// <summary>The next image's record: false at the end of the file.</summary>
    public bool TryRead(out int image, out (int Height, int Width) mask, Span<float> maps)
    {
        Span<int> header = stackalloc int[3];
        int read = _stream.ReadAtLeast(MemoryMarshal.AsBytes(header), 12, throwOnEndOfStream: false);
        if (read == 0)
        {
            (image, mask) = (-1, default);
            return false;
        }
        if (read < 12)
            throw Truncated();
        (image, mask) = (header[0], (header[1], header[2]));
        var bytes = MemoryMarshal.AsBytes(maps[.._imageFloats]);
        if (_stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
            throw Truncated();
        return true;
    }

    UnitScopeException Truncated() =>
        new(EngineErrorKind.InvalidArgument, $"{Path} ends in the middle of an image's activations: the shard's file is truncated.");

    public void Dispose() => _stream.Dispose();
}
