using System.Text;
using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// TorchSharp's own weights format, what <c>Module.save(path)</c> writes (TorchSharp's
/// <c>Module.save_state_dict</c> and <c>TensorExtensionMethods.Save</c>): no magic number, then
/// <list type="bullet">
/// <item>the entry count, LEB128;</item>
/// <item>per entry: the state_dict key as a .NET <c>BinaryWriter</c> string (7-bit encoded byte
/// length, UTF-8), the element type as a LEB128 <c>ScalarType</c> code, the rank (LEB128), each
/// dimension (LEB128), then the elements, contiguous, in the machine's byte order (little-endian
/// on every platform TorchSharp ships for).</item>
/// </list>
/// Keys are the module's <c>state_dict()</c> names (<c>features.0.weight</c>), so a TorchSharp model
/// built with torchvision's names loads by detection like a PyTorch checkpoint. Every length is
/// checked against the file before anything is allocated, and the entries must end exactly at the
/// end of the file.
/// </summary>
internal static class TorchSharpDatReader
{
    public const string Format = "torchsharp-dat";
    const int MaxRank = 16;
    const int MaxKeyBytes = 1 << 16;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>One entry's header; the data follows at <see cref="DataOffset"/>.</summary>
    readonly record struct Entry(string Key, TorchDtype Dtype, long[] Shape, long DataOffset, long DataBytes);

    /// <summary>
    /// Whether the stream is a complete .dat file: every header walked and every data block skipped,
    /// ending exactly at the end of the file. Leaves the stream at position 0.
    /// </summary>
    public static bool Matches(Stream file) => TryWalk(file, out _, out _);

    /// <summary>Why the stream is not a .dat file (for a file named .dat), or null when it is one.</summary>
    public static string? Problem(Stream file) => TryWalk(file, out _, out string? problem) ? null : problem;

    public static StateDict Read(Stream file, Action<CheckpointOutline>? beforeWeights = null)
    {
        if (!TryWalk(file, out var entries, out string? problem))
            throw CheckpointProblem.Corrupt(problem!);

        var result = new StateDict(Format);
        try
        {
            WeightBudget.CheckTotal(entries.Aggregate(0L, (sum, e) => checked(sum + e.DataBytes)));
            var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
            foreach (var e in entries) shapes.TryAdd(e.Key, e.Shape);
            beforeWeights?.Invoke(new CheckpointOutline(Format, shapes, result.Metadata));
            foreach (var e in entries)
            {
                var tensor = empty(e.Shape, e.Dtype.ScalarType);
                result.Add(e.Key, tensor.DetachFromDisposeScope());
                if (e.DataBytes > 0)
                {
                    file.Position = e.DataOffset;
                    tensor.ReadBytesFromStream(file, 1 << 20);
                }
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
        finally
        {
            file.Position = 0;
        }
    }

    static bool TryWalk(Stream file, out List<Entry> entries, out string? problem)
    {
        entries = [];
        problem = null;
        long length = file.Length;
        file.Position = 0;
        try
        {
            long count = ReadLeb128(file, "the entry count");
            // Each entry takes at least 3 bytes (key length, dtype, rank).
            if (count < 1 || count > length / 3)
                return Fail(out problem, $"a TorchSharp .dat file starts with its entry count; this one says {count} for a {length}-byte file");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (long i = 0; i < count; i++)
            {
                long keyBytes = ReadLeb128(file, $"the name of entry {i}");
                if (keyBytes < 1 || keyBytes > MaxKeyBytes || keyBytes > length - file.Position)
                    return Fail(out problem, $"entry {i} has a name of {keyBytes} bytes, more than the file holds");
                var raw = new byte[keyBytes];
                file.ReadExactly(raw);
                string key;
                try
                {
                    key = StrictUtf8.GetString(raw);
                }
                catch (DecoderFallbackException)
                {
                    return Fail(out problem, $"the name of entry {i} is not UTF-8 text");
                }
                if (key.Any(char.IsControl))
                    return Fail(out problem, $"the name of entry {i} holds control characters");
                if (!seen.Add(key))
                    return Fail(out problem, $"'{key}' appears twice");

                long code = ReadLeb128(file, $"the element type of '{key}'");
                var dtype = TorchDtype.All.FirstOrDefault(d => (long)d.ScalarType == code);
                if (dtype is null)
                    return Fail(out problem, code is >= 0 and <= 127 && Enum.IsDefined((ScalarType)(sbyte)code)
                        ? $"'{key}' holds {(ScalarType)(sbyte)code} elements, which UnitScope does not read (supported: {TorchDtype.SupportedList})"
                        : $"'{key}' has an unknown element type code {code}");

                long rank = ReadLeb128(file, $"the rank of '{key}'");
                if (rank > MaxRank)
                    return Fail(out problem, $"'{key}' has {rank} dimensions (at most {MaxRank} are read)");
                var shape = new long[rank];
                long numel = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = ReadLeb128(file, $"the shape of '{key}'");
                    numel = checked(numel * shape[d]);
                }
                long bytes = checked(numel * dtype.ElementSize);
                if (bytes > length - file.Position)
                    return Fail(out problem, $"'{key}' [{string.Join(", ", shape)}] needs {bytes} bytes of data but the file holds {length - file.Position} more: it is truncated");
                entries.Add(new Entry(key, dtype, shape, file.Position, bytes));
                file.Position += bytes;
            }
            if (file.Position != length)
                return Fail(out problem, $"{length - file.Position} bytes follow the last of its {count} entries");
            return true;
        }
        catch (EndOfStreamException)
        {
            return Fail(out problem, "the file ends inside an entry's header: it is truncated");
        }
        catch (OverflowException)
        {
            return Fail(out problem, "a length or shape is too large");
        }
        finally
        {
            file.Position = 0;
        }
    }

    static bool Fail(out string? problem, string text)
    {
        problem = "not a readable TorchSharp .dat file: " + text;
        return false;
    }

    /// <summary>Unsigned LEB128 (TorchSharp's <c>Encode</c>/<c>Decode</c>, and BinaryWriter's 7-bit lengths), at most 9 bytes.</summary>
    static long ReadLeb128(Stream file, string what)
    {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            int b = file.ReadByte();
            if (b < 0) throw new EndOfStreamException();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new OverflowException($"{what} is not a valid number");
    }
}
