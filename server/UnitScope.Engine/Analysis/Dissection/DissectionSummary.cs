using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>A layer's result from its IoU table: each unit's label, best concept and best per category, its top images with their masks, and the counts per category.</summary>
internal static class DissectionSummary
{
    public static LayerDissection Of(LayerRun run, double[] iou, ConceptTally tally, ConceptIndex concepts, IActivationSource source,
        ISegmentationDataset data, DissectionOptions options, int imageCount)
    {
        int slots = concepts.MaxId + 1;
        var units = new List<UnitDissection>(run.Units);
        var labelled = concepts.Categories.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        for (int u = 0; u < run.Units; u++)
        {
            var scores = iou.AsSpan(u * slots, slots);
            var bestPerCategory = new ConceptScore?[concepts.Categories.Count];
            ConceptScore? best = null;
            for (int c = 1; c < slots; c++)
            {
                if (concepts.ById[c] is not { } concept || scores[c] <= 0) continue;
                var score = new ConceptScore(c, concept.Name, concept.Category, scores[c]);
                int k = concepts.CategoryOf[c];
                if (bestPerCategory[k] is null || score.Iou > bestPerCategory[k]!.Iou) bestPerCategory[k] = score;
                if (best is null || score.Iou > best.Iou) best = score;
            }
            var label = best is not null && best.Iou > options.IouThreshold ? best : null;
            if (label is not null) labelled[label.Category]++;
            units.Add(new UnitDissection(u, run.Thresholds[u], label, best,
                [.. bestPerCategory.OfType<ConceptScore>()], run.Top.For(u))
            {
                TopMasks = tally.TopMasks(u),
            });
        }
        return new LayerDissection(run.Name, source.Identity, data.ContentHash, options, imageCount, units, labelled);
    }
}
