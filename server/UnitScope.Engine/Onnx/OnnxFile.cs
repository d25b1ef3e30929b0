using Google.Protobuf;
using P = global::Onnx;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// Reads an ONNX model file (a protobuf <c>ModelProto</c>): recognises one by its first bytes,
/// parses it with bounded recursion, and turns every failure into a
/// <see cref="UnitScopeException"/> that names the file and what is wrong with it.
/// </summary>
public static class OnnxFile
{
    /// <summary>Opsets of the default domain (ai.onnx) the interpreter implements.</summary>
    public const int MinOpset = 9, MaxOpset = 17;

    /// <summary>
    /// Whether <paramref name="file"/> starts like a serialized ModelProto: field 1 (ir_version) as
    /// a small varint, followed by fields of ModelProto with their wire types. Leaves the stream at 0.
    /// </summary>
    public static bool LooksLikeOnnx(Stream file)
    {
        Span<byte> head = stackalloc byte[64];
        file.Position = 0;
        int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        file.Position = 0;
        return LooksLikeOnnx(head[..n]);
    }

    internal static bool LooksLikeOnnx(ReadOnlySpan<byte> head)
    {
        int i = 0, fields = 0;
        while (i < head.Length)
        {
            var read = Varint(head, ref i, out ulong tag);
            if (read != VarintRead.Ok)
                return read == VarintRead.CutShort && fields > 0;
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            if (fields == 0 && (field, wire) != (1, 0))
                return false;
            if (!IsModelField(field, wire))
                return false;
            read = Varint(head, ref i, out ulong value);
            if (read != VarintRead.Ok)
                return read == VarintRead.CutShort;
            if (field == 1 && value is 0 or > 64)
                return false; // ir_version: 1 (2017) … about 12 today
            if (wire == 2)
            {
                if (value > int.MaxValue)
                    return false;
                i = (int)Math.Min((long)i + (long)value, int.MaxValue);
            }
            fields++;
        }
        return fields > 0;
    }

    static bool IsModelField(int field, int wire) => (field, wire) is
        (1, 0) or (2, 2) or (3, 2) or (4, 2) or (5, 0) or (6, 2) or (7, 2) or (8, 2) or (14, 2) or (20, 2) or (25, 2) or (26, 2);

    enum VarintRead { Ok, CutShort, Invalid }

    static VarintRead Varint(ReadOnlySpan<byte> buffer, ref int i, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (i >= buffer.Length) return VarintRead.CutShort;
            byte b = buffer[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return VarintRead.Ok;
        }
        return VarintRead.Invalid;
    }

    /// <summary>Parses the model; checks the IR version and the ai.onnx opset.</summary>
    internal static P.ModelProto Read(string path)
    {
        P.ModelProto model;
        UserFile.RequireRegular(path, $"Model file not found: {path}", reason => $"Cannot open model file {path}: {reason}");
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
            if (file.Length == 0)
                throw Corrupt(path, "the file is empty");
            using var input = new CodedInputStream(file, leaveOpen: true);
            model = P.ModelProto.Parser.ParseFrom(input);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"Model file not found: {path}", e);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Corrupt(path, $"the file is damaged or truncated ({e.Message.TrimEnd('.')})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"Cannot open model file {path}: {e.Message}", e);
        }

        if (model.Graph is null)
            throw Corrupt(path, "the model has no graph (the file may be truncated)");
        if (model.IrVersion < 3)
            throw Corrupt(path, $"IR version {model.IrVersion} predates opset imports (IR 3, 2017); re-export the model");
        OpsetOf(model, path);
        return model;
    }

    /// <summary>The ai.onnx opset the model imports, checked against <see cref="MinOpset"/>–<see cref="MaxOpset"/>.</summary>
    internal static int OpsetOf(P.ModelProto model, string path)
    {
        var imports = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (imports.Count == 0)
            throw Corrupt(path, "the model declares no ai.onnx opset (the file may be truncated)");
        long opset = imports.Max(o => o.Version);
        if (opset < MinOpset || opset > MaxOpset)
            throw new UnitScopeException(EngineErrorKind.UnknownArchitecture,
                $"Cannot run ONNX model {path}: it uses opset {opset}, and UnitScope supports opsets {MinOpset}–{MaxOpset}. " +
                $"Export it again with torch.onnx.export(..., opset_version={Math.Clamp(opset, MinOpset, MaxOpset)}).");
        return (int)opset;
    }

    internal static UnitScopeException Corrupt(string path, string what, Exception? inner = null) =>
        new(EngineErrorKind.CorruptCheckpoint, $"Cannot read ONNX model {path}: {what}.", inner);
}
