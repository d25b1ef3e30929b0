using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;
using P = global::Onnx;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// ONNX <c>TensorProto</c> → a CPU tensor: raw_data, the typed fields (float_data, int32_data,
/// int64_data, double_data, uint64_data) and external data in files beside the model. Checks that
/// the data holds exactly as many elements as the dims say before allocating anything.
/// </summary>
static class OnnxTensors
{
    /// <summary>The data types the interpreter runs, with their torch type and size in bytes.</summary>
    static readonly Dictionary<int, (ScalarType Type, int Size)> Types = new()
    {
        [(int)P.TensorProto.Types.DataType.Float] = (ScalarType.Float32, 4),
        [(int)P.TensorProto.Types.DataType.Double] = (ScalarType.Float64, 8),
        [(int)P.TensorProto.Types.DataType.Float16] = (ScalarType.Float16, 2),
        [(int)P.TensorProto.Types.DataType.Bfloat16] = (ScalarType.BFloat16, 2),
        [(int)P.TensorProto.Types.DataType.Int64] = (ScalarType.Int64, 8),
        [(int)P.TensorProto.Types.DataType.Int32] = (ScalarType.Int32, 4),
        [(int)P.TensorProto.Types.DataType.Int16] = (ScalarType.Int16, 2),
        [(int)P.TensorProto.Types.DataType.Int8] = (ScalarType.Int8, 1),
        [(int)P.TensorProto.Types.DataType.Uint8] = (ScalarType.Byte, 1),
        [(int)P.TensorProto.Types.DataType.Bool] = (ScalarType.Bool, 1),
    };

    public static bool TryScalarType(int onnxType, out ScalarType type)
    {
        bool known = Types.TryGetValue(onnxType, out var t);
        type = t.Type;
        return known;
    }

    public static string TypeName(int onnxType) =>
        Enum.IsDefined(typeof(P.TensorProto.Types.DataType), onnxType)
            ? ((P.TensorProto.Types.DataType)onnxType).ToString().ToUpperInvariant()
            : $"type {onnxType}";

    /// <summary>
    /// The tensor's values on the CPU. <paramref name="modelDirectory"/> resolves external data;
    /// <paramref name="what"/> names the tensor in errors ("initializer 'fc.weight'").
    /// </summary>
    /// <exception cref="OnnxProblem">a type, size or external-data problem.</exception>
    public static Tensor ToTensor(P.TensorProto proto, string modelDirectory, string what)
    {
        if (proto.Segment is not null)
            throw new OnnxProblem($"{what} is stored in segments, which UnitScope does not read");
        if (!Types.TryGetValue(proto.DataType, out var type))
            throw new OnnxProblem($"{what} has data type {TypeName(proto.DataType)}, which UnitScope does not run");

        long count = 1;
        foreach (long dim in proto.Dims)
        {
            if (dim < 0)
                throw new OnnxProblem($"{what} has a negative dimension ({Shape(proto.Dims)})");
            count = dim == 0 ? 0 : (count > long.MaxValue / dim ? -1 : count * dim);
            if (count < 0 || count > int.MaxValue)
                throw new OnnxProblem($"{what} is too large ({Shape(proto.Dims)})");
        }
        long[] shape = [.. proto.Dims];
        long bytes = count * type.Size;

        if (proto.DataLocation == P.TensorProto.Types.DataLocation.External)
            return FromBytes(ReadExternal(proto, modelDirectory, what, bytes), shape, type.Type);
        if (proto.HasRawData)
        {
            if (proto.RawData.Length != bytes)
                throw new OnnxProblem($"{what} has shape {Shape(proto.Dims)} ({count} × {type.Size} bytes = {bytes}) but {proto.RawData.Length} bytes of data");
            return FromBytes(proto.RawData.Span, shape, type.Type);
        }
        return FromTypedFields(proto, shape, count, type.Type, what);
    }

    static Tensor FromTypedFields(P.TensorProto proto, long[] shape, long count, ScalarType type, string what)
    {
        void Check(int stored, string field)
        {
            if (stored != count)
                throw new OnnxProblem($"{what} has shape {Shape(proto.Dims)} ({count} elements) but {stored} values in {field}");
        }
        switch (type)
        {
            case ScalarType.Float32:
                Check(proto.FloatData.Count, "float_data");
                return torch.tensor(proto.FloatData.ToArray(), shape);
            case ScalarType.Float64:
                Check(proto.DoubleData.Count, "double_data");
                return torch.tensor(proto.DoubleData.ToArray(), shape);
            case ScalarType.Int64:
                Check(proto.Int64Data.Count, "int64_data");
                return torch.tensor(proto.Int64Data.ToArray(), shape);
            case ScalarType.Float16 or ScalarType.BFloat16:
            {
                // int32_data holds the 16-bit patterns.
                Check(proto.Int32Data.Count, "int32_data");
                var bits = proto.Int32Data.Select(v => (short)(ushort)v).ToArray();
                return FromBytes(MemoryMarshal.AsBytes(bits.AsSpan()), shape, type);
            }
            default:
            {
                // INT32, INT16, INT8, UINT8, BOOL: int32_data, one element each.
                Check(proto.Int32Data.Count, "int32_data");
                using var wide = torch.tensor(proto.Int32Data.ToArray(), shape);
                return wide.to(type);
            }
        }
    }

    static Tensor FromBytes(ReadOnlySpan<byte> data, long[] shape, ScalarType type)
    {
        if (!BitConverter.IsLittleEndian)
            throw new OnnxProblem("ONNX tensors are little-endian and this machine is not");
        var tensor = torch.empty(shape, type);
        if (data.Length > 0)
            data.CopyTo(tensor.bytes);
        return tensor;
    }

    /// <summary>
    /// Reads <paramref name="bytes"/> bytes of external data. The location must be a relative path
    /// inside the model's folder (no absolute paths, no '..' out of it); offset and length must lie
    /// within the file.
    /// </summary>
    static byte[] ReadExternal(P.TensorProto proto, string modelDirectory, string what, long bytes)
    {
        var entries = proto.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!entries.TryGetValue("location", out var location) || string.IsNullOrWhiteSpace(location))
            throw new OnnxProblem($"{what} is external but names no location");
        long offset = ParseLong(entries, "offset", what) ?? 0;
        long? length = ParseLong(entries, "length", what);
        if (length is { } declared && declared != bytes)
            throw new OnnxProblem($"{what} has shape {Shape(proto.Dims)} ({bytes} bytes) but its external data is {declared} bytes long");

        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw new OnnxProblem($"{what}: external data location '{location}' must be a path relative to the model's folder");
        string root = Path.GetFullPath(modelDirectory);
        string file = Path.GetFullPath(Path.Combine(root, location));
        if (!file.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new OnnxProblem($"{what}: external data location '{location}' points outside the model's folder");
        if (!File.Exists(file))
            throw new OnnxProblem($"{what}: external data file '{location}' is missing (expected beside the model, at {file})");
        if (!UserFile.IsRegular(file))
            throw new OnnxProblem($"{what}: external data '{location}' is not a regular file");

        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (offset < 0 || offset > stream.Length || stream.Length - offset < bytes)
            throw new OnnxProblem($"{what}: external data file '{location}' has {stream.Length} bytes; {bytes} bytes at offset {offset} do not fit (the file may be truncated)");
        var data = new byte[bytes];
        stream.Position = offset;
        stream.ReadExactly(data);
        return data;
    }

    static long? ParseLong(Dictionary<string, string> entries, string key, string what)
    {
        if (!entries.TryGetValue(key, out var text)) return null;
        return long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new OnnxProblem($"{what}: external data {key} '{text}' is not a non-negative integer");
    }

    public static string Shape(IEnumerable<long> dims) => "[" + string.Join(", ", dims) + "]";
}

/// <summary>A problem with the model's content, reported by the loader with the file's name.</summary>
sealed class OnnxProblem(string message, EngineErrorKind kind = EngineErrorKind.CorruptCheckpoint) : Exception(message)
{
    public EngineErrorKind Kind { get; } = kind;
}
