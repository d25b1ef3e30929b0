using System.Text.Json.Serialization;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Analysis.Dissection.Sharding;

/// <summary>
/// What one shard of a sharded dissection did (<c>shard-I-of-N.json</c> in the partial folder, a
/// <see cref="ChecksummedJsonFile"/>): which model, probe set and images, and, per layer, the file of its activations
/// with that file's length and SHA-256. Written last, after the activation files are whole on disk: a shard without
/// it did not finish.
/// </summary>
/// <param name="FormatVersion">This layout's version (<see cref="ShardManifestFile.FormatVersion"/>).</param>
/// <param name="AlgorithmVersion">The dissection's (<see cref="DissectionKey.AlgorithmVersion"/>) when the shard ran.</param>
/// <param name="Images">How many images the whole dissection covers (the first Images of the probe set).</param>
/// <param name="BatchSize">The forward passes' batch size, which places the shards' boundaries.</param>
/// <param name="First">This shard's first image.</param>
/// <param name="End">One past its last image.</param>
/// <param name="Used">The images it ran, in order (those of First … End − 1 that could be read).</param>
/// <param name="Skipped">Those that could not be read.</param>
public sealed record ShardManifest(
    int FormatVersion,
    int AlgorithmVersion,
    string CheckpointHash,
    string DatasetHash,
    int Shard,
    int Shards,
    int Images,
    int BatchSize,
    int First,
    int End,
    IReadOnlyList<int> Used,
    IReadOnlyList<SkippedImage> Skipped,
    IReadOnlyList<ShardLayer> Layers)
{
    /// <summary>Bytes of activations this shard wrote, over all layers.</summary>
    [JsonIgnore]
    public long Bytes => Layers.Sum(l => l.Bytes);
}

/// <summary>One layer's activations in a shard: its shape and its <see cref="ActivationRecords"/> file (a name in the partial folder).</summary>
public sealed record ShardLayer(string Layer, int Units, int Height, int Width, string File, long Bytes, string Sha256);

/// <summary>Reads and writes <see cref="ShardManifest"/>s in a partial folder.</summary>
internal static class ShardManifestFile
{
    /// <summary>Bump when the partial state's layout changes: older shards are then refused by name.</summary>
    public const int FormatVersion = 1;

    static readonly ChecksummedJsonFile Entries = new("unitscope-dissection-shard", FormatVersion, "shard", DissectionStore.JsonOptions);

    public static string PathOf(string folder, ShardSpec shard) => Path.Combine(folder, shard.Stem + ".json");

    public static void Write(string folder, ShardManifest manifest) =>
        Entries.Write(PathOf(folder, new ShardSpec(manifest.Shard, manifest.Shards)), manifest, new ShardSpec(manifest.Shard, manifest.Shards).Stem);

    /// <summary>The manifest of <paramref name="shard"/> in <paramref name="folder"/>.</summary>
    /// <exception cref="UnitScopeException">FileNotFound when it is missing; InvalidArgument when damaged; both name the file.</exception>
    public static ShardManifest Read(string folder, ShardSpec shard)
    {
        string path = PathOf(folder, shard);
        if (!File.Exists(path))
            throw new UnitScopeException(EngineErrorKind.FileNotFound,
                $"Shard {shard} is missing: {path} does not exist (did the job for index {shard.Index} finish?). Run it again with --shard {shard}.");
        return Entries.ReadOrExplain<ShardManifest>(path, m => m.Shard == shard.Index && m.Shards == shard.Count, shard.Stem, out string? problem)
            ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Shard {shard} cannot be merged: {path}: {problem}. Run it again with --shard {shard}.");
    }
}
