using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>Dissection's pass 2 for one layer: its spill, thresholded, against the labels (<see cref="ConceptTally"/>).</summary>
internal static class IouPass
{
    /// <summary>Pass 2 for one layer: the spill, thresholded, against the labels.</summary>
    public static LayerDissection Run(LayerRun run, IActivationSource source, ISegmentationDataset data, DissectionOptions options,
        int imageCount, ConceptIndex concepts, long[] labelArea, SpillFile labelSpill, IProgress<DissectionProgress>? progress, CancellationToken ct,
        DissectionTrace? trace, bool? tensorOps)
    {
        labelSpill.Rewind();
        run.Spill.Rewind();
        using var tally = new ConceptTally(run.Units, concepts.MaxId, concepts.Categories.Count, run.Thresholds, source.Device, tensorOps);
        for (int start = 0; start < imageCount; start += options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(options.BatchSize, imageCount - start);
            var labels = new ImageLabels[count];
            for (int i = 0; i < count; i++) labels[i] = ImageLabels.ReadFrom(labelSpill.Reader);

            if (tally.OnHost)
                tally.AddOnHost(run.ReadHostBatch(count), run.Height, run.Width, labels);
            else
            {
                using var scope = NewDisposeScope();
                var raw = run.ReadBatch(count).to(source.Device);
                foreach (var (positions, group) in GroupByMaskSize(labels))
                    tally.Add(positions.Length == count ? raw : raw.index_select(0, tensor(positions, device: source.Device)), group);
            }
            progress?.Report(new DissectionProgress(AnalysisPhase.Iou, start + count, imageCount) { Layer = run.Name });
        }
        var iou = tally.Iou(labelArea, concepts.CategoryOf);
        trace?.Iou.Add(run.Name, iou);
        return DissectionSummary.Of(run, iou, concepts, source, data, options, imageCount);
    }

    static IEnumerable<(long[] Positions, ImageLabels[] Labels)> GroupByMaskSize(ImageLabels[] labels) =>
        labels.Select((l, i) => (Label: l, Index: (long)i))
            .GroupBy(e => (e.Label.MaskHeight, e.Label.MaskWidth))
            .Select(g => (g.Select(e => e.Index).ToArray(), g.Select(e => e.Label).ToArray()));
}
