using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>
/// A checkpoint's cheap per-layer statistics over a small fixed image set, in one streaming forward pass: per layer the
/// sum of activations, the count at or below 0, and each unit's maximum (memory O(units)).
/// </summary>
public static class ActivationStatistics
{
    /// <summary>Per layer (in <paramref name="layers"/>' order): (units, mean, dead fraction, saturated fraction).</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; the set's errors.</exception>
    /// <exception cref="OperationCanceledException">Between batches.</exception>
    public static IReadOnlyList<(int Units, double Mean, double Dead, double Saturated)> Measure(ModelSession model, IImageSet images,
        IReadOnlyList<string> layers, int batchSize, Action<int>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        var infos = layers.Select(model.GetLayer).ToList();
        var sums = new double[layers.Count];
        var atOrBelowZero = new long[layers.Count];
        var counts = new long[layers.Count];
        var maxima = infos.Select(l => Enumerable.Repeat(float.NegativeInfinity, l.Units).ToArray()).ToList();
        for (int start = 0; start < images.Count; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, images.Count - start);
            var loaded = new RgbImage[n];
            int first = start;
            Parallel.For(0, n, ParallelWork.Options(), i => loaded[i] = images.Load(first + i));
            model.ForwardBatch(loaded, layers, pass =>
            {
                for (int l = 0; l < layers.Count; l++)
                {
                    var map = pass.Activations[layers[l]];
                    sums[l] += map.sum(ScalarType.Float64).item<double>();
                    atOrBelowZero[l] += map.le(Scalars.Zero).sum().item<long>();
                    counts[l] += map.numel();
                    // Each unit's maximum over images and positions: [N, C, …] → [C].
                    var unitMax = map.transpose(0, 1).reshape(map.shape[1], -1).amax([1L]).to(ScalarType.Float32).cpu().data<float>().ToArray();
                    for (int u = 0; u < unitMax.Length; u++) maxima[l][u] = Math.Max(maxima[l][u], unitMax[u]);
                }
                return 0;
            });
            progress?.Invoke(start + n);
        }
        return [.. infos.Select((info, l) => (info.Units, sums[l] / counts[l], (double)maxima[l].Count(m => m <= 0) / info.Units, (double)atOrBelowZero[l] / counts[l]))];
    }
}
