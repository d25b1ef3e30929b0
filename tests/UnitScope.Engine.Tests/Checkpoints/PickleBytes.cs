using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace UnitScope.Engine.Tests.Checkpoints;

/// <summary>Writes small protocol-2 pickles by hand, for inputs PyTorch itself would never save.</summary>
internal sealed class PickleBytes
{
    readonly MemoryStream _bytes = new();

    public PickleBytes() => Op("\u0080\u0002");

    /// <summary>Raw opcodes given as Latin-1 text, e.g. "}(" or "\u0085".</summary>
    public PickleBytes Op(string ops)
    {
        _bytes.Write(Encoding.Latin1.GetBytes(ops));
        return this;
    }

    public PickleBytes Str(string s)
    {
        var utf8 = Encoding.UTF8.GetBytes(s);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        Op("X");
        _bytes.Write(length);
        _bytes.Write(utf8);
        return this;
    }

    public PickleBytes Int(int i)
    {
        Span<byte> value = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(value, i);
        Op("J");
        _bytes.Write(value);
        return this;
    }

    public PickleBytes Global(string module, string name) => Op($"c{module}\n{name}\n");

    public PickleBytes Ints(params int[] values)
    {
        Op("(");
        foreach (int v in values) Int(v);
        return Op("t");
    }

    /// <summary>('storage', torch.&lt;type&gt;, key, location, numel) as a persistent id.</summary>
    public PickleBytes Storage(string key, int numel, string type = "FloatStorage", string module = "torch", string location = "cpu") =>
        Op("(").Str("storage").Global(module, type).Str(key).Str(location).Int(numel).Op("tQ");

    /// <summary>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).</summary>
    public PickleBytes Tensor(string key, int numel, int offset, int[] size, int[] stride, string type = "FloatStorage") =>
        Global("torch._utils", "_rebuild_tensor_v2").Op("(").Storage(key, numel, type).Int(offset).Ints(size).Ints(stride)
            .Op("\u0089").Global("collections", "OrderedDict").Op(")R").Op("tR");

    public byte[] Stop() => _bytes.ToArray().Concat(Encoding.Latin1.GetBytes(".")).ToArray();

    /// <summary>A torch.save-style zip: archive/data.pkl plus archive/data/&lt;key&gt; entries.</summary>
    public static string WriteZip(byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        string path = Path.Combine(Path.GetTempPath(), $"unitscope-crafted-{Guid.NewGuid():N}.pt");
        using (var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create))
        {
            Write(zip, "archive/data.pkl", pickle);
            foreach (var (key, data) in storages)
                Write(zip, "archive/data/" + key, data);
        }
        return path;
    }

    static void Write(ZipArchive zip, string name, byte[] data)
    {
        using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
        s.Write(data);
    }
}
