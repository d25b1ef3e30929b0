using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// safetensors: an 8-byte little-endian header length, a JSON header ({name: {dtype, shape,
/// data_offsets: [begin, end]}, "__metadata__": {str: str}}), then the data section. Offsets are
/// relative to the data section and checked against it and against each tensor's shape and dtype.
/// Tensors come out in the order of their data.
/// </summary>
internal static class SafetensorsReader
{
    public const string Format = "safetensors";
    const long MaxHeaderBytes = 100_000_000; // the reference implementation's limit

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    sealed record Entry(string Name, TorchDtype Dtype, long[] Shape, long Begin, long End);

    public static StateDict Read(Stream file, Action<CheckpointOutline>? beforeWeights = null)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        if (file.Length < 8)
            throw CheckpointProblem.Corrupt("safetensors file shorter than its 8-byte header length");
        file.Position = 0;
        file.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(file.Length - 8))
            throw CheckpointProblem.Corrupt($"safetensors header length {headerLength} exceeds the file size ({file.Length} bytes)");
        if (headerLength > MaxHeaderBytes)
            throw CheckpointProblem.Corrupt($"safetensors header of {headerLength} bytes is larger than the {MaxHeaderBytes}-byte limit");

        var header = new byte[headerLength];
        file.ReadExactly(header);
        long dataStart = 8 + (long)headerLength, dataLength = file.Length - dataStart;

        var result = new StateDict(Format);
        try
        {
            var entries = ParseHeader(header, dataLength, result.Metadata);
            // Spans may overlap (the format does not forbid it): a small file can name the same gigabyte many times.
            WeightBudget.CheckTotal(entries.Aggregate(0L, (sum, e) => checked(sum + (e.End - e.Begin))));
            beforeWeights?.Invoke(new CheckpointOutline(Format, entries.ToDictionary(e => e.Name, e => e.Shape, StringComparer.Ordinal), result.Metadata));
            foreach (var e in entries.OrderBy(e => e.Begin)) // stable: header order among equal offsets
            {
                var tensor = empty(e.Shape, e.Dtype.ScalarType);
                result.Add(e.Name, tensor.DetachFromDisposeScope());
                if (e.End > e.Begin)
                {
                    file.Position = dataStart + e.Begin;
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
    }

    static List<Entry> ParseHeader(byte[] header, long dataLength, Dictionary<string, string> metadata)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(StrictUtf8.GetString(header));
        }
        catch (DecoderFallbackException)
        {
            throw CheckpointProblem.Corrupt("safetensors header is not valid UTF-8");
        }
        catch (JsonException e)
        {
            throw CheckpointProblem.Corrupt($"safetensors header is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw CheckpointProblem.Corrupt("safetensors header is not a JSON object");
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw CheckpointProblem.Corrupt($"safetensors header names '{property.Name}' twice");
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw CheckpointProblem.Corrupt("safetensors __metadata__ is not an object");
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                entries.Add(ParseEntry(property.Name, property.Value, dataLength));
            }
            return entries;
        }
    }

    static Entry ParseEntry(string name, JsonElement e, long dataLength)
    {
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dtypeJson) || dtypeJson.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var shapeJson) || shapeJson.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var offsetsJson) || offsetsJson.ValueKind != JsonValueKind.Array
            || offsetsJson.GetArrayLength() != 2)
            throw CheckpointProblem.Corrupt($"safetensors entry '{name}' lacks dtype, shape or data_offsets [begin, end]");

        string code = dtypeJson.GetString()!;
        var dtype = TorchDtype.FromSafetensorsCode(code)
            ?? throw CheckpointProblem.Corrupt($"safetensors entry '{name}' has dtype {code}, which UnitScope does not read (supported: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        long[] shape = shapeJson.EnumerateArray().Select(d => NonNegative(d, name, "shape")).ToArray();
        long begin = NonNegative(offsetsJson[0], name, "data_offsets"), end = NonNegative(offsetsJson[1], name, "data_offsets");
        if (begin > end || end > dataLength)
            throw CheckpointProblem.Corrupt($"safetensors entry '{name}' spans bytes {begin}..{end} but the data section holds {dataLength}");
        long expected;
        try
        {
            expected = shape.Aggregate((long)dtype.ElementSize, (n, d) => checked(n * d));
        }
        catch (OverflowException)
        {
            throw CheckpointProblem.Corrupt($"safetensors entry '{name}' has an impossibly large shape");
        }
        if (end - begin != expected)
            throw CheckpointProblem.Corrupt(
                $"safetensors entry '{name}' holds {end - begin} bytes but shape [{string.Join(", ", shape)}] of {code} needs {expected}");
        return new Entry(name, dtype, shape, begin, end);
    }

    static long NonNegative(JsonElement value, string name, string what) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long v) && v >= 0
            ? v
            : throw CheckpointProblem.Corrupt($"safetensors entry '{name}' has a {what} value that is not a non-negative integer");
}
