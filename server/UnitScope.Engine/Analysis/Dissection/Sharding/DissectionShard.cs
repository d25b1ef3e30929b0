using System.Runtime.InteropServices;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection.Sharding;

/// <summary>
/// One shard of a dissection split by images (<c>dissect --shard i/N --partial DIR</c>): the forward passes over its
/// images (<see cref="ShardSpec.Range"/>: whole batches, the same batches as one run), each layer's activations written
/// as they came (<see cref="ActivationRecords"/>), then its <see cref="ShardManifest"/>. Only the expensive part runs
/// here; <see cref="DissectionMerge"/> replays every shard's activations through the <see cref="Dissector"/>, which
/// needs them all at once for the exact thresholds (quantiles of every image's resampled maps), so the merged result
/// is one run's, bit for bit.
/// </summary>
public static class DissectionShard
{
    /// <summary>Runs <paramref name="shard"/> and writes its partial state into <paramref name="folder"/>; returns its manifest.</summary>
    /// <exception cref="UnitScopeException">Bad options or layers, too few batches for the shards, no readable image at all.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled: the shard's manifest is then absent.</exception>
    public static ShardManifest Run(IActivationSource source, ISegmentationDataset data, IReadOnlyList<string> layers, DissectionOptions options,
        ShardSpec shard, string folder, IProgress<DissectionProgress>? progress, CancellationToken ct)
    {
        options = DissectionService.Normalize(options, data.Count);
        if (layers.Count == 0 || layers.Distinct(StringComparer.Ordinal).Count() != layers.Count)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Name each layer to dissect once (got: {string.Join(", ", layers)}).");
        source.CheckLayers(layers);
        int images = Math.Min(data.Count, options.MaxImages ?? int.MaxValue);
        var (first, end) = shard.Range(images, options.BatchSize);

        Directory.CreateDirectory(folder);
        // A shard run again: its old manifest goes first, so that a rerun that fails leaves no manifest over new files.
        File.Delete(ShardManifestFile.PathOf(folder, shard));

        var writers = new ActivationRecordWriter?[layers.Count];
        var shapes = new (int Units, int Height, int Width)[layers.Count];
        var skips = new ImageSkips();
        var used = new List<int>(end - first);
        try
        {
            for (int next = first; next < end;)
            {
                ct.ThrowIfCancellationRequested();
                var batch = new List<ProbeSample>(options.BatchSize);
                var indices = new List<int>(options.BatchSize); // dataset indices, as pass 1 numbers its images
                for (; batch.Count < options.BatchSize && next < end; next++)
                    if (skips.TryLoad(data, next) is { } sample)
                    {
                        if (sample.MaskHeight <= 0 || sample.MaskWidth <= 0)
                            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                                $"Probe image {next} cannot be dissected: its mask size is {sample.MaskHeight}x{sample.MaskWidth}.");
                        batch.Add(sample);
                        indices.Add(next);
                    }
                if (batch.Count == 0) break;
                using (NewDisposeScope())
                {
                    var activations = source.Forward(batch, layers);
                    try
                    {
                        for (int l = 0; l < layers.Count; l++)
                            Write(layers[l], activations[layers[l]], batch, indices, folder, shard, l, ref writers[l], ref shapes[l]);
                    }
                    finally
                    {
                        foreach (var tensor in activations.Values) tensor.Dispose();
                    }
                }
                used.AddRange(indices);
                progress?.Report(new DissectionProgress(AnalysisPhase.Thresholds, next - first, end - first));
            }
            var written = new List<ShardLayer>();
            for (int l = 0; l < layers.Count; l++)
            {
                if (writers[l] is not { } writer) continue; // no image of this shard could be read
                var (bytes, sha) = writer.Complete();
                written.Add(new ShardLayer(layers[l], shapes[l].Units, shapes[l].Height, shapes[l].Width, FileName(shard, l, layers[l]), bytes, sha));
            }
            var manifest = new ShardManifest(ShardManifestFile.FormatVersion, DissectionKey.AlgorithmVersion, source.Identity, data.ContentHash,
                shard.Index, shard.Count, images, options.BatchSize, first, end, used, skips.List, written);
            ShardManifestFile.Write(folder, manifest);
            return manifest;
        }
        finally
        {
            foreach (var writer in writers) writer?.Dispose();
        }
    }

    /// <summary>Appends one layer's activations for the batch to its file (opened at the first batch, with the layer's shape).</summary>
    static void Write(string layer, Tensor raw, List<ProbeSample> batch, List<int> indices, string folder, ShardSpec shard, int index,
        ref ActivationRecordWriter? writer, ref (int Units, int Height, int Width) shape)
    {
        if (raw.dim() != 4 || raw.shape[0] != batch.Count)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{layer}' gave activations of shape [{string.Join(", ", raw.shape)}] for {batch.Count} images: dissection needs [images, units, height, width].");
        var now = ((int)raw.shape[1], (int)raw.shape[2], (int)raw.shape[3]);
        if (writer is null)
        {
            shape = now;
            writer = new ActivationRecordWriter(Path.Combine(folder, FileName(shard, index, layer)), shape.Units, shape.Height, shape.Width);
        }
        else if (now != shape)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{layer}' changed shape between batches: [{shape.Units}, {shape.Height}, {shape.Width}], then [{string.Join(", ", raw.shape.Skip(1))}].");
        using var host = raw.to(ScalarType.Float32).contiguous().cpu();
        var floats = MemoryMarshal.Cast<byte, float>(host.bytes);
        int imageFloats = shape.Units * shape.Height * shape.Width;
        for (int n = 0; n < batch.Count; n++)
            writer.Write(indices[n], batch[n].MaskHeight, batch[n].MaskWidth, floats.Slice(n * imageFloats, imageFloats));
    }

    /// <summary><c>shard-I-of-N.K-LAYER.acts</c>: K keeps two layers whose cleaned names agree apart.</summary>
    static string FileName(ShardSpec shard, int index, string layer) =>
        $"{shard.Stem}.{index}-{new string([.. layer.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').Take(60)])}.acts";
}
