using System.IO.Compression;
using System.Text;
using UnitScope.Engine.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// torch.save's zip format (PyTorch ≥ 1.6): &lt;archive&gt;/data.pkl, the raw storages as
/// &lt;archive&gt;/data/&lt;key&gt;, and &lt;archive&gt;/byteorder when the writer recorded it.
/// The archive folder's name is whatever the file was called when saved, so it is taken from data.pkl's entry.
/// </summary>
internal static class TorchZipReader
{
    public const string Format = "pytorch-zip";
    const long MaxPickleBytes = 1L << 30;

    public static StateDict Read(Stream file, Action<CheckpointOutline>? beforeWeights = null)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw CheckpointProblem.Corrupt($"truncated or damaged zip: central directory not found ({e.Message.TrimEnd('.')})");
        }
        using (zip)
        {
            var pickleEntry = zip.Entries.FirstOrDefault(e => IsDataPkl(e.FullName))
                ?? throw CheckpointProblem.Corrupt(
                    "a zip without data.pkl: not a torch.save checkpoint (entries: "
                    + string.Join(", ", zip.Entries.Take(5).Select(e => e.FullName)) + (zip.Entries.Count > 5 ? ", …" : "") + ")");
            string prefix = pickleEntry.FullName[..^"data.pkl".Length];

            CheckByteOrder(zip.GetEntry(prefix + "byteorder"));

            var registry = new StorageRegistry();
            object? root;
            using (var pickle = ReadAll(pickleEntry))
                root = Unpickler.Load(pickle, registry.PersistentLoad);
            return StateDictExtractor.Extract(root, new ZipStorages(zip, prefix, file.Length), Format, beforeWeights);
        }
    }

    static bool IsDataPkl(string name)
    {
        // "<archive>/data.pkl": one folder deep (TorchScript's constants.pkl etc. are not it).
        int slash = name.IndexOf('/');
        return name.EndsWith("/data.pkl", StringComparison.Ordinal) && slash == name.Length - "/data.pkl".Length
            || name == "data.pkl";
    }

    static void CheckByteOrder(ZipArchiveEntry? entry)
    {
        if (entry is null)
            return; // writers before PyTorch 2.1 do not record it; they wrote little-endian in practice
        using var reader = new StreamReader(entry.Open(), Encoding.ASCII);
        string order = reader.ReadToEnd().Trim();
        if (order == "big")
            throw CheckpointProblem.Corrupt("saved on a big-endian machine (byteorder says \"big\"); UnitScope reads little-endian checkpoints only");
        if (order != "little")
            throw CheckpointProblem.Corrupt($"unknown byteorder \"{order}\"");
    }

    static MemoryStream ReadAll(ZipArchiveEntry entry)
    {
        if (entry.Length > MaxPickleBytes)
            throw CheckpointProblem.Corrupt($"data.pkl is {entry.Length} bytes, too large for a state_dict");
        var buffer = new MemoryStream((int)entry.Length);
        using (var s = entry.Open())
            s.CopyTo(buffer);
        buffer.Position = 0;
        return buffer;
    }

    sealed class ZipStorages(ZipArchive zip, string prefix, long fileLength) : IStorageSource
    {
        /// <summary>Sizes come from the zip's central directory: nothing is inflated to check them.</summary>
        public void Check(StorageRef storage, long count)
        {
            var entry = Entry(storage);
            long bytes = checked(storage.Numel * storage.Dtype.ElementSize);
            if (entry.Length < bytes)
                throw CheckpointProblem.Corrupt($"storage {storage.Key} declares {bytes} bytes but the file holds {entry.Length}");
            if (entry.CompressedLength < entry.Length)
                // A compressed size the file cannot hold is a lie too: count what is there.
                WeightBudget.CheckInflation(storage.Key, checked(count * storage.Dtype.ElementSize), Math.Min(entry.CompressedLength, fileLength));
        }

        ZipArchiveEntry Entry(StorageRef storage)
        {
            string name = prefix + "data/" + storage.Key;
            return zip.GetEntry(name) ?? throw CheckpointProblem.Corrupt($"storage {storage.Key} is missing (no entry {name})");
        }

        public Tensor Load(StorageRef storage, long count)
        {
            var entry = Entry(storage);
            var data = empty(count, storage.Dtype.ScalarType);
            try
            {
                if (count > 0)
                {
                    // Only the first count elements are inflated: ReadBytesFromStream reads as many bytes as the tensor holds.
                    using var s = entry.Open();
                    data.ReadBytesFromStream(s, 1 << 20);
                }
                return data;
            }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
            {
                data.Dispose();
                throw CheckpointProblem.Corrupt($"storage {storage.Key} ends early: {e.Message}");
            }
        }
    }
}
