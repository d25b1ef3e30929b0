using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using UnitScope.Engine.Tests.Checkpoints;

namespace UnitScope.Engine.Tests.Hostile;

/// <summary>
/// torch.save-style zips whose storages inflate to far more than the file holds, made on the fly: a few MB on
/// disk, gigabytes of zeros once inflated. Written by hand, because a zip writer would have to compress the
/// gigabytes to make them: the deflate data is one compressed block of zeros, ended with a sync flush (so it is
/// byte-aligned and not final), repeated, then an empty final block.
/// </summary>
internal static class CheckpointBombs
{
    const int Chunk = 16 << 20;
    static readonly Lazy<(byte[] Block, byte[] End)> ZeroBlocks = new(() =>
    {
        var output = new MemoryStream();
        var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true);
        deflate.Write(new byte[Chunk]);
        deflate.Flush();
        var block = output.ToArray();
        deflate.Dispose();
        return (block, output.ToArray()[block.Length..]);
    });

    /// <summary>A storage entry: real bytes (stored), or that many zeros deflated (a multiple of 16 MB).</summary>
    public sealed record Storage(string Key, byte[]? Bytes = null, long Zeros = 0);

    /// <summary>A zip checkpoint holding <paramref name="pickle"/> as archive/data.pkl and these storages; returns its path.</summary>
    public static string Write(string folder, string name, byte[] pickle, params Storage[] storages)
    {
        string path = Path.Combine(folder, name);
        using var file = File.Create(path);
        var central = new List<(string Name, ushort Method, uint Crc, long Compressed, long Size, long Offset)>();
        void Entry(string entryName, ushort method, uint crc, long size, Action<Stream> data)
        {
            long offset = file.Position;
            var nameBytes = Encoding.UTF8.GetBytes(entryName);
            file.Write(LocalHeader(nameBytes, method, crc, 0, size));
            long start = file.Position;
            data(file);
            long compressed = file.Position - start;
            // Sizes now known: rewrite the local header with them.
            long end = file.Position;
            file.Position = offset;
            file.Write(LocalHeader(nameBytes, method, crc, compressed, size));
            file.Position = end;
            central.Add((entryName, method, crc, compressed, size, offset));
        }

        Entry("archive/data.pkl", 0, Crc(pickle), pickle.Length, s => s.Write(pickle));
        foreach (var storage in storages)
        {
            if (storage.Bytes is { } bytes)
            {
                Entry("archive/data/" + storage.Key, 0, Crc(bytes), bytes.Length, s => s.Write(bytes));
                continue;
            }
            if (storage.Zeros % Chunk != 0) throw new ArgumentException("zeros must be a multiple of 16 MB");
            var (block, last) = ZeroBlocks.Value;
            // The CRC is not that of the zeros (readers that read part of an entry never check it; .NET does not either).
            Entry("archive/data/" + storage.Key, 8, 0, storage.Zeros, s =>
            {
                for (long n = 0; n < storage.Zeros / Chunk; n++) s.Write(block);
                s.Write(last);
            });
        }

        long directory = file.Position;
        foreach (var e in central) file.Write(CentralHeader(Encoding.UTF8.GetBytes(e.Name), e.Method, e.Crc, e.Compressed, e.Size, e.Offset));
        long directorySize = file.Position - directory;
        var eocd = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(eocd, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(eocd.AsSpan(8), (ushort)central.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(eocd.AsSpan(10), (ushort)central.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(eocd.AsSpan(12), (uint)directorySize);
        BinaryPrimitives.WriteUInt32LittleEndian(eocd.AsSpan(16), (uint)directory);
        file.Write(eocd);
        return path;
    }

    /// <summary>{name: tensor of shape <paramref name="shape"/> on float storage "0" of <paramref name="storageNumel"/> elements}, in order.</summary>
    public static byte[] StateDict(params (string Name, int[] Shape, int StorageNumel, string Key)[] tensors)
    {
        var pickle = new PickleBytes().Op("}(");
        foreach (var (name, shape, numel, key) in tensors)
        {
            var stride = new int[shape.Length];
            for (int i = shape.Length - 1, s = 1; i >= 0; s *= shape[i], i--) stride[i] = s;
            pickle.Str(name).Tensor(key, numel, 0, shape, stride);
        }
        return pickle.Op("u").Stop();
    }

    static byte[] LocalHeader(byte[] name, ushort method, uint crc, long compressed, long size)
    {
        var h = new byte[30 + name.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x04034b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(8), method);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(14), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(18), checked((uint)compressed));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(22), checked((uint)size));
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(26), (ushort)name.Length);
        name.CopyTo(h, 30);
        return h;
    }

    static byte[] CentralHeader(byte[] name, ushort method, uint crc, long compressed, long size, long offset)
    {
        var h = new byte[46 + name.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x02014b50);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 20);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), 20);
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(10), method);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), crc);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(20), checked((uint)compressed));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(24), checked((uint)size));
        BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(28), (ushort)name.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(42), checked((uint)offset));
        name.CopyTo(h, 46);
        return h;
    }

    static uint Crc(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320 & (0 - (crc & 1)));
        }
        return ~crc;
    }
}
