using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>
/// GAN dissection (Bau et al., ICLR 2019; seed 000): which concept each unit of a generator layer draws. N latents are
/// sampled (seeded), each generated image is segmented, and each unit's feature map, upsampled to the image, is
/// thresholded at its top <see cref="GanDissectionOptions.Quantile"/> over all samples and compared by IoU with each
/// segmented concept. That is network dissection with the generated images as probe set and the segmentation as
/// masks, so it runs <see cref="Dissector"/> itself (exact quantiles, IoU, per-category counts) over
/// <see cref="GeneratedScenes"/>: one generator and one segmenter pass per sample.
/// </summary>
public static class GanDissector
{
    /// <param name="progress">Dissection's phases, in samples (pass 1 includes generating and segmenting them).</param>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument (options, not a generator, a layer without maps).</exception>
    /// <exception cref="OperationCanceledException">Checked between batches.</exception>
    public static GanDissection Run(ModelSession generator, ISceneSegmenter segmenter, string layer, GanDissectionOptions options,
        IProgress<DissectionProgress>? progress = null, CancellationToken ct = default, string? spillDirectory = null)
    {
        options.Validate();
        using var scenes = new GeneratedScenes(generator, segmenter, [layer], options.Samples, options.Seed, options.BatchSize);
        var trace = new DissectionTrace();
        var result = Dissector.Run(scenes, scenes, [layer], options.ForDissector(), progress, ct, spillDirectory, trace)[0];
        return new GanDissection(layer, generator.CheckpointHash, segmenter.Identity, options, result,
            Rank(trace.Iou[layer], result.Units.Count, segmenter, options.UnitsPerConcept));
    }

    /// <summary>Per concept, the units with IoU &gt; 0 by IoU (ties: lower unit first), at most <paramref name="keep"/>.</summary>
    internal static IReadOnlyList<ConceptUnits> Rank(double[] iou, int units, ISceneSegmenter segmenter, int keep)
    {
        int stride = iou.Length / units;
        return [.. segmenter.Concepts.Select(c => new ConceptUnits(c.Id, c.Name, c.Category, [..
            Enumerable.Range(0, units)
                .Select(u => new RankedUnit(u, iou[u * stride + c.Id]))
                .Where(r => r.Iou > 0)
                .OrderByDescending(r => r.Iou).ThenBy(r => r.Unit)
                .Take(keep)]))];
    }
}
