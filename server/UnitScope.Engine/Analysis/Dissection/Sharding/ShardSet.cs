using System.Globalization;
using System.Text.RegularExpressions;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Runtime;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Analysis.Dissection.Sharding;

/// <summary>
/// The shards of one sharded dissection in a partial folder, checked before anything is merged: every shard of the
/// split present and whole, all made by this dissection's version from the same checkpoint, probe set, images and
/// batches, tiling the images in order. A refusal is a <see cref="UnitScopeException"/> naming the shard's file.
/// </summary>
public sealed partial class ShardSet
{
    ShardSet(string folder, IReadOnlyList<ShardManifest> shards)
    {
        Folder = folder;
        Shards = shards;
    }

    public string Folder { get; }

    /// <summary>The shards' manifests, shard 0 first.</summary>
    public IReadOnlyList<ShardManifest> Shards { get; }

    public string CheckpointHash => Shards[0].CheckpointHash;
    public string DatasetHash => Shards[0].DatasetHash;

    /// <summary>Bytes of activations in all shards.</summary>
    public long Bytes => Shards.Sum(s => s.Bytes);

    [GeneratedRegex(@"^shard-(\d+)-of-(\d+)\.json$")]
    private static partial Regex ManifestName();

    /// <summary>Reads every shard's manifest in <paramref name="folder"/> and checks they belong together.</summary>
    /// <exception cref="UnitScopeException">FileNotFound (no folder, no shard, a missing shard); InvalidArgument (a damaged or mismatched one).</exception>
    public static ShardSet Open(string folder)
    {
        folder = Path.GetFullPath(folder);
        if (!Directory.Exists(folder))
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"--merge folder not found: '{folder}'.");
        var names = Directory.EnumerateFiles(folder, "shard-*-of-*.json").Select(Path.GetFileName).OfType<string>()
            .Select(n => (Name: n, Match: ManifestName().Match(n))).Where(e => e.Match.Success).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        if (names.Count == 0)
            throw new UnitScopeException(EngineErrorKind.FileNotFound,
                $"{folder} holds no shard (shard-I-of-N.json): run the shards first, `unitscope dissect … --shard i/N --partial {folder}`.");
        var splits = names.GroupBy(e => e.Match.Groups[2].Value).ToList();
        if (splits.Count > 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{folder} holds shards of different splits ({string.Join(" and ", splits.Select(g => g.First().Name))}): " +
                "keep one split's shards per folder.");
        if (!int.TryParse(splits[0].Key, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"{Path.Combine(folder, names[0].Name)} names no valid number of shards.");
        var shards = Enumerable.Range(0, count).Select(i => ShardManifestFile.Read(folder, new ShardSpec(i, count))).ToList();
        var set = new ShardSet(folder, shards);
        set.CheckTogether();
        return set;
    }

    string FileOf(ShardManifest shard) => ShardManifestFile.PathOf(Folder, new ShardSpec(shard.Shard, shard.Shards));

    UnitScopeException Mismatch(ShardManifest shard, string what) =>
        new(EngineErrorKind.InvalidArgument, $"Shard {shard.Shard}/{shard.Shards} cannot be merged: {FileOf(shard)} {what}.");

    void CheckTogether()
    {
        var first = Shards[0];
        foreach (var shard in Shards)
        {
            if (shard.AlgorithmVersion != DissectionKey.AlgorithmVersion)
                throw Mismatch(shard, $"was made by dissection version {shard.AlgorithmVersion}, this UnitScope's is {DissectionKey.AlgorithmVersion}: run the shards again");
            if (shard.CheckpointHash != first.CheckpointHash)
                throw Mismatch(shard, $"was made from checkpoint {shard.CheckpointHash}, shard 0 from {first.CheckpointHash}");
            if (shard.DatasetHash != first.DatasetHash)
                throw Mismatch(shard, $"was made over probe set {shard.DatasetHash}, shard 0 over {first.DatasetHash}");
            if (shard.Images != first.Images || shard.BatchSize != first.BatchSize)
                throw Mismatch(shard, $"split {shard.Images} images in batches of {shard.BatchSize}, shard 0 {first.Images} in batches of {first.BatchSize}");
            if ((shard.First, shard.End) != new ShardSpec(shard.Shard, shard.Shards).Range(shard.Images, shard.BatchSize))
                throw Mismatch(shard, $"covers images {shard.First}–{shard.End - 1}, not its share of the split");
            if (shard.Used.Count + shard.Skipped.Count != shard.End - shard.First
                || shard.Used.Concat(shard.Skipped.Select(s => s.Index)).Any(i => i < shard.First || i >= shard.End))
                throw Mismatch(shard, "lists images outside its share of the split");
            foreach (var layer in shard.Layers)
            {
                if (Path.GetFileName(layer.File) != layer.File || layer.File.StartsWith('.'))
                    throw Mismatch(shard, $"names a file outside its folder ('{layer.File}')");
                if (Shards.SelectMany(s => s.Layers).FirstOrDefault(l => l.Layer == layer.Layer) is { } other
                    && (other.Units, other.Height, other.Width) != (layer.Units, layer.Height, layer.Width))
                    throw Mismatch(shard, $"has layer '{layer.Layer}' as {layer.Units}x{layer.Height}x{layer.Width} maps, another shard as {other.Units}x{other.Height}x{other.Width}");
            }
        }
    }

    /// <summary>
    /// Checks that the shards were made for this merge: <paramref name="checkpointHash"/>'s model, <paramref name="data"/>,
    /// the images <paramref name="options"/> ask for, and every one of <paramref name="layers"/>.
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the first shard file that does not fit.</exception>
    public void CheckFits(string checkpointHash, ISegmentationDataset data, IReadOnlyList<string> layers, DissectionOptions options)
    {
        int images = Math.Min(data.Count, options.MaxImages ?? int.MaxValue);
        var first = Shards[0];
        if (!string.Equals(first.CheckpointHash, checkpointHash, StringComparison.OrdinalIgnoreCase))
            throw Mismatch(first, $"was made from checkpoint {first.CheckpointHash}, not the model given ({checkpointHash})");
        if (!string.Equals(first.DatasetHash, data.ContentHash, StringComparison.OrdinalIgnoreCase))
            throw Mismatch(first, $"was made over probe set {first.DatasetHash}, not {data.Root} ({data.ContentHash}; --resize-probe and the probe set's options count)");
        if (first.Images != images)
            throw Mismatch(first, $"was split over the first {first.Images} images, this merge asks for {images} (--max-images)");
        foreach (var shard in Shards.Where(s => s.Used.Count > 0))
            foreach (string layer in layers)
                if (!shard.Layers.Any(l => l.Layer == layer))
                    throw Mismatch(shard, $"holds no layer '{layer}' (it has {string.Join(", ", shard.Layers.Select(l => l.Layer))})");
    }

    /// <summary>The shard that dissected image <paramref name="image"/>.</summary>
    public ShardManifest ShardOf(int image) => Shards.First(s => image < s.End);

    public ShardLayer LayerOf(ShardManifest shard, string layer) =>
        shard.Layers.FirstOrDefault(l => l.Layer == layer) ?? throw Mismatch(shard, $"holds no layer '{layer}'");

    public string PathOf(ShardLayer layer) => Path.Combine(Folder, layer.File);

    /// <summary>
    /// Reads every activation file of <paramref name="layers"/> once and checks its length and SHA-256 against its manifest,
    /// before anything is computed from them (a damaged byte would otherwise surface only as a wrong result).
    /// </summary>
    public void Verify(IReadOnlyList<string> layers, CancellationToken ct)
    {
        var files = Shards.Where(s => s.Used.Count > 0).SelectMany(s => layers.Select(l => (Shard: s, Layer: LayerOf(s, l)))).ToList();
        try
        {
            Parallel.ForEach(files, ParallelWork.Options(ct), file => VerifyFile(file.Shard, file.Layer, ct));
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is UnitScopeException or IOException) is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    void VerifyFile(ShardManifest shard, ShardLayer layer, CancellationToken ct)
    {
        {
            string path = PathOf(layer);
            var info = new FileInfo(path);
            if (!info.Exists)
                throw Mismatch(shard, $"lists {path}, which does not exist");
            if (info.Length != layer.Bytes || ActivationRecords.Sha256(path, ct) != layer.Sha256)
                throw Mismatch(shard, $"lists {path}, which is damaged: its length or SHA-256 is not what the shard wrote");
        }
    }
}
