using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>Dissection's pass 2 for one layer: its spill, thresholded, against the labels (<see cref="ConceptTally"/>); runs no model.</summary>
internal static class IouPass
{
    public static LayerDissection Run(LayerRun run, IActivationSource source, ISegmentationDataset data, DissectionOptions options,
        int imageCount, ConceptIndex concepts, long[] labelArea, SpillFile labelSpill, IProgress<DissectionProgress>? progress, CancellationToken ct,
        DissectionTrace? trace)
    {
        labelSpill.Rewind();
        var spill = run.Spill;
        spill.Rewind();
        var top = Enumerable.Range(0, run.Units).Select(run.Top.For).ToArray();
        var tally = new ConceptTally(run.Units, concepts.MaxId, concepts.Categories.Count, run.Thresholds, top);
        var maps = new float[options.BatchSize * spill.ImageFloats];
        var masks = new (int, int)[options.BatchSize];
        long position = 0;
        for (int start = 0; start < imageCount; start += options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int count = spill.Read(maps, masks, ref position);
            var labels = new ImageLabels[count];
            for (int i = 0; i < count; i++) labels[i] = ImageLabels.ReadFrom(labelSpill.Reader);
            tally.Add(maps, spill.Height, spill.Width, labels, ct);
            progress?.Report(new DissectionProgress(AnalysisPhase.Iou, start + count, imageCount) { Layer = run.Name });
        }
        var iou = tally.Iou(labelArea, concepts.CategoryOf);
        trace?.Iou.Add(run.Name, iou);
        return DissectionSummary.Of(run, iou, tally, concepts, source, data, options, imageCount);
    }
}
