using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection.Sharding;

/// <summary>
/// The shards' activations handed to the <see cref="Dissector"/> as if the model were producing them: the dissector
/// asks for images in dataset order, and each layer's files are read front to back, shard after shard. An image the
/// shards did not run (it could not be read then, and can now) is refused by name: its activations do not exist.
/// </summary>
internal sealed class ShardActivations(ShardSet shards) : IActivationSource, IDisposable
{
    readonly Dictionary<string, (ShardManifest Shard, ActivationRecordReader Reader)> _open = new(StringComparer.Ordinal);

    public string Identity => shards.CheckpointHash;

    public Device Device => CPU;

    public void CheckLayers(IReadOnlyList<string> layers)
    {
        foreach (var shard in shards.Shards.Where(s => s.Used.Count > 0))
            foreach (string layer in layers)
                shards.LayerOf(shard, layer);
    }

    public IReadOnlyDictionary<string, Tensor> Forward(IReadOnlyList<ProbeSample> batch, IReadOnlyList<string> layers)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (string layer in layers)
                result[layer] = Read(layer, batch);
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
    }

    Tensor Read(string layer, IReadOnlyList<ProbeSample> batch)
    {
        ShardLayer? shape = null;
        float[] values = [];
        for (int n = 0; n < batch.Count; n++)
        {
            int image = batch[n].Index;
            var reader = ReaderFor(layer, image, out var layerFile);
            if (shape is null)
            {
                shape = layerFile;
                values = new float[batch.Count * shape.Units * shape.Height * shape.Width];
            }
            int imageFloats = shape.Units * shape.Height * shape.Width;
            var maps = values.AsSpan(n * imageFloats, imageFloats);
            // Records the merge does not ask for (images unreadable now, readable when the shard ran) are passed over.
            int found;
            do
            {
                if (!reader.TryRead(out found, out _, maps))
                    found = int.MaxValue;
            } while (found < image);
            if (found != image)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"Probe image {image} has no activations in {reader.Path}: it could not be read when that shard ran. Run the shard again.");
        }
        return tensor(values, [batch.Count, shape!.Units, shape.Height, shape.Width]);
    }

    /// <summary>The reader of <paramref name="layer"/>'s file in the shard holding <paramref name="image"/>, moving on to the next shard's when due.</summary>
    ActivationRecordReader ReaderFor(string layer, int image, out ShardLayer layerFile)
    {
        var shard = shards.ShardOf(image);
        if (shard.Used.Count == 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Probe image {image} has no activations: no image of shard {shard.Shard}/{shard.Shards} could be read when it ran. Run the shard again.");
        layerFile = shards.LayerOf(shard, layer);
        if (_open.TryGetValue(layer, out var current) && current.Shard == shard)
            return current.Reader;
        if (current.Reader is not null)
            current.Reader.Dispose();
        var reader = new ActivationRecordReader(shards.PathOf(layerFile), layerFile.Units, layerFile.Height, layerFile.Width);
        _open[layer] = (shard, reader);
        return reader;
    }

    public void Dispose()
    {
        foreach (var (_, reader) in _open.Values) reader.Dispose();
        _open.Clear();
    }
}
