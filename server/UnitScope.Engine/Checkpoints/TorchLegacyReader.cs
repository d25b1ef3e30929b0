using System.Buffers.Binary;
using System.Numerics;
using UnitScope.Engine.Checkpoints.Pickle;
using static TorchSharp.torch;

namespace UnitScope.Engine.Checkpoints;

/// <summary>
/// torch.save(..., _use_new_zipfile_serialization=False), as torch/serialization.py's _legacy_load
/// reads it: pickles of the magic number, the protocol version (1001) and sys_info; the main pickle
/// (storages as persistent ids); a pickle of the storage keys; then per key an int64 element count
/// followed by that many elements' raw bytes.
/// </summary>
internal static class TorchLegacyReader
{
    public const string Format = "pytorch-legacy";
    public static readonly BigInteger MagicNumber = BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);
    const long ProtocolVersion = 1001;

    public static StateDict Read(Stream file, Action<CheckpointOutline>? beforeWeights = null)
    {
        var magic = Unpickler.Load(file);
        if (!IsMagic(magic))
            throw CheckpointProblem.Corrupt("a pickle that is not a torch.save checkpoint (legacy magic number missing)");
        var version = Unpickler.Load(file);
        if (version is not long v || v != ProtocolVersion)
            throw CheckpointProblem.Corrupt($"unsupported legacy protocol version {PythonText.Of(version)} (expected {ProtocolVersion})");
        var sysInfo = Unpickler.Load(file);
        if (sysInfo is PyDict info && info.TryGet("little_endian", out var little) && little is false)
            throw CheckpointProblem.Corrupt("saved on a big-endian machine (sys_info.little_endian is False); UnitScope reads little-endian checkpoints only");

        var registry = new StorageRegistry();
        var root = Unpickler.Load(file, registry.PersistentLoad);
        if (Unpickler.Load(file) is not PyList keys)
            throw CheckpointProblem.Corrupt("the list of storage keys is missing after the main pickle");

        var storages = new LegacyStorages(file, LocateStorages(file, keys, registry));
        return StateDictExtractor.Extract(root, storages, Format, beforeWeights);
    }

    static bool IsMagic(object? value) => value switch
    {
        BigInteger b => b == MagicNumber,
        _ => false,
    };

    /// <summary>Walks the storage records after the key list; returns where each one's bytes start.</summary>
    static Dictionary<string, long> LocateStorages(Stream file, PyList keys, StorageRegistry registry)
    {
        var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
        long position = file.Position;
        Span<byte> countBytes = stackalloc byte[8];
        foreach (var k in keys.Items)
        {
            string key = PyTypes.AsText(k) ?? (k is long l ? l.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : throw CheckpointProblem.Corrupt($"a storage key is a {PyTypes.Describe(k)}"));
            if (!registry.Roots.TryGetValue(key, out var storage))
                throw CheckpointProblem.Corrupt($"the file holds storage {key}, which no tensor refers to");
            long declared = checked(storage.Numel * storage.Dtype.ElementSize);
            long left = file.Length - position;
            if (left < 8)
                throw CheckpointProblem.Corrupt($"storage {key} declares {declared} bytes but the file holds {Math.Max(0, left)}");
            file.Position = position;
            file.ReadExactly(countBytes);
            long numel = BinaryPrimitives.ReadInt64LittleEndian(countBytes);
            if (numel != storage.Numel)
                throw CheckpointProblem.Corrupt($"storage {key} is declared with {storage.Numel} elements but its record says {numel}");
            if (file.Length - position - 8 < declared)
                throw CheckpointProblem.Corrupt($"storage {key} declares {declared} bytes but the file holds {file.Length - position - 8}");
            offsets[key] = position + 8;
            position += 8 + declared;
        }
        foreach (var key in registry.Roots.Keys)
            if (!offsets.ContainsKey(key))
                throw CheckpointProblem.Corrupt($"storage {key} has no data in the file");
        return offsets;
    }

    sealed class LegacyStorages(Stream file, Dictionary<string, long> offsets) : IStorageSource
    {
        /// <summary>Nothing to check: every storage's bytes were located in the file (uncompressed) by <see cref="LocateStorages"/>.</summary>
        public void Check(StorageRef storage, long count)
        {
        }

        public Tensor Load(StorageRef storage, long count)
        {
            var data = empty(count, storage.Dtype.ScalarType);
            try
            {
                if (count > 0)
                {
                    file.Position = offsets[storage.Key];
                    data.ReadBytesFromStream(file, 1 << 20);
                }
                return data;
            }
            catch
            {
                data.Dispose();
                throw;
            }
        }
    }
}
