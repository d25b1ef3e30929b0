using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Analysis.Dissection.Sharding;

/// <summary>
/// The merge of a sharded dissection (<c>dissect --merge DIR</c>): the shards' activations (<see cref="ShardSet"/>,
/// checked and verified first) replayed through the <see cref="Dissector"/> as one run over all images, so the result
/// is that run's bit for bit: the same pass 1 counting, exact thresholds, IoU pass, labels and top images, only
/// without the forward passes. The probe set is read again for its labels and masks (no image is run through a model).
/// </summary>
public static class DissectionMerge
{
    /// <summary>
    /// Checks that <paramref name="shards"/> fit this dissection (<see cref="ShardSet.CheckFits"/>), verifies their files,
    /// then dissects <paramref name="layers"/> from them. <paramref name="checkpointHash"/> is the model's the result
    /// is for (the shards must have been made from it).
    /// </summary>
    /// <exception cref="UnitScopeException">A shard that does not fit or is damaged (named), and the dissector's.</exception>
    public static IReadOnlyList<LayerDissection> Run(ShardSet shards, string checkpointHash, ISegmentationDataset data,
        IReadOnlyList<string> layers, DissectionOptions options, IProgress<DissectionProgress>? progress, CancellationToken ct,
        string? spillDirectory = null)
    {
        shards.CheckFits(checkpointHash, data, layers, options);
        shards.Verify(layers, ct);
        using var source = new ShardActivations(shards);
        return Dissector.Run(source, data, layers, options, progress, ct, spillDirectory);
    }
}
