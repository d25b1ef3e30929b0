using System.Buffers;
using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Dissection's pass 1, the only one that runs the model: one forward pass per batch for all layers at
/// once; each layer's <see cref="LayerRun"/> takes its activations (threshold brackets, top images, spill),
/// and the labels are checked, measured and spilled, on another thread beside the next batch's forward pass.
/// </summary>
internal static class ThresholdPass
{
    /// <summary>
    /// Pass 1: the forward passes, threshold brackets, top images, spills, over images 0 … imageCount − 1 of
    /// <paramref name="data"/> less the ones that cannot be read (recorded in <paramref name="skips"/>: one bad
    /// file must not cost a run). Returns the dataset indices of the images used, in spill order.
    /// </summary>
    public static int[] Run(IActivationSource source, ISegmentationDataset data, IReadOnlyList<string> layers,
        DissectionOptions options, int imageCount, ConceptIndex concepts, long[] labelArea, SpillFile labelSpill,
        List<LayerRun> runs, ImageSkips skips, IProgress<DissectionProgress>? progress, CancellationToken ct)
    {
        Task? counting = null;
        var used = new List<int>(imageCount);
        try
        {
            for (int next = 0; next < imageCount;)
            {
                ct.ThrowIfCancellationRequested();
                var batch = new List<(int Index, ProbeSample Sample)>(options.BatchSize);
                for (; batch.Count < options.BatchSize && next < imageCount; next++)
                    if (skips.TryLoad(data, next) is { } sample) batch.Add((next, sample));
                if (batch.Count == 0) break;
                var samples = batch.Select(b => b.Sample).ToArray();
                var images = batch.Select(b => b.Index).ToArray();
                var masks = new (int Height, int Width)[samples.Length];
                for (int i = 0; i < samples.Length; i++)
                {
                    masks[i] = (samples[i].MaskHeight, samples[i].MaskWidth);
                    if (masks[i].Height <= 0 || masks[i].Width <= 0)
                        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                            $"Probe image {images[i]} cannot be dissected: its mask size is {masks[i].Height}x{masks[i].Width}.");
                }
                used.AddRange(images);
                int count = samples.Length;

                using var scope = NewDisposeScope();
                var activations = source.Forward(samples, layers);
                // The previous batch's counting (on another thread) must be done: the spills are written in order.
                Finish(ref counting);
                var work = new List<(LayerRun Run, float[] Raw)>();
                try
                {
                    foreach (var run in runs)
                    {
                        var raw = activations.TryGetValue(run.Name, out var a) ? a
                            : throw new InvalidOperationException($"The activation source gave no output for layer '{run.Name}'.");
                        work.Add((run, run.Take(raw, count)));
                    }
                }
                finally
                {
                    foreach (var tensor in activations.Values) tensor.Dispose();
                }
                // The labels' checks, normalisation and spill, and the counting run beside the next batch's
                // loading and forward pass (which leave a core idle much of the time).
                counting = Task.Run(() =>
                {
                    for (int i = 0; i < samples.Length; i++)
                    {
                        var imageLabels = ImageLabels.From(samples[i], images[i], concepts, labelArea);
                        imageLabels.WriteTo(labelSpill.Writer);
                        imageLabels.Release();
                    }
                    foreach (var (run, raw) in work)
                    {
                        run.Count(raw, masks, images);
                        ArrayPool<float>.Shared.Return(raw);
                    }
                });
                progress?.Report(new DissectionProgress(AnalysisPhase.Thresholds, next, imageCount));
            }
            Finish(ref counting);
            return [.. used];
        }
        finally
        {
            // On failure or cancellation: let the counting end before anything is disposed.
            try { counting?.Wait(); } catch (AggregateException) { }
        }
    }

    static void Finish(ref Task? counting)
    {
        var task = counting;
        counting = null;
        task?.GetAwaiter().GetResult();
    }
}
