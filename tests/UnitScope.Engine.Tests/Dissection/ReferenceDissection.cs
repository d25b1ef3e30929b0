using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// Dissection by brute force, written from the definitions and not from the engine: every map resampled
/// whole in plain loops, thresholds by sorting every value, IoU by counting pixel by pixel with label sets.
/// One unit at a time, so a full-width layer (512 units at 112 × 112) fits in memory.
/// </summary>
static class ReferenceDissection
{
    /// <summary>
    /// PyTorch's bilinear resampling with align_corners=False in float32, as its CPU kernel computes it:
    /// source = max(in/out · (dst + ½) − ½, 0), the blend along x of each of the two source rows, then
    /// the blend of those along y (an axis of the same size blends with weights 1 and 0, which is a copy).
    /// </summary>
    public static float[] Bilinear(ReadOnlySpan<float> map, int height, int width, int outHeight, int outWidth)
    {
        var result = new float[outHeight * outWidth];
        for (int y = 0; y < outHeight; y++)
        {
            var (y0, y1, ly) = Source(y, height, outHeight);
            for (int x = 0; x < outWidth; x++)
            {
                var (x0, x1, lx) = Source(x, width, outWidth);
                float top = (1f - lx) * map[y0 * width + x0] + lx * map[y0 * width + x1];
                float bottom = (1f - lx) * map[y1 * width + x0] + lx * map[y1 * width + x1];
                result[y * outWidth + x] = (1f - ly) * top + ly * bottom;
            }
        }
        return result;
    }

    static (int, int, float) Source(int destination, int inSize, int outSize)
    {
        float scale = (float)inSize / outSize;
        float source = Math.Max(scale * (destination + 0.5f) - 0.5f, 0f);
        int i0 = Math.Min((int)source, inSize - 1);
        return (i0, Math.Min(i0 + 1, inSize - 1), source - i0);
    }

    /// <summary>
    /// The (fraction) quantile as torch.quantile defines it, by sorting: h = fraction·(n − 1), then the
    /// h-th smallest value interpolated linearly between its two neighbours (0-based), rounded to float.
    /// </summary>
    public static double ExactQuantile(IEnumerable<double> values, double fraction)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        double h = fraction * (sorted.Length - 1);
        int below = (int)Math.Floor(h), above = Math.Min(below + 1, sorted.Length - 1);
        return (float)(sorted[below] + (h - below) * (sorted[above] - sorted[below]));
    }

    public sealed record Layer(int Units, int Height, int Width, IReadOnlyList<float[]> Raw);

    /// <param name="Masks">[unit][image]: the unit's "on" pixels (engine's thresholds) on each image.</param>
    public sealed record Result(double[] ExactThresholds, double[,] Iou, IReadOnlyList<(int Image, float Max)>[] Top, bool[][][] Masks);

    /// <summary>
    /// One layer's dissection over <paramref name="samples"/>: <paramref name="layer"/>.Raw[i] is image i's
    /// [units × h × w] activations. IoU and masks are computed with <paramref name="thresholds"/> (the
    /// engine's, so that the counts can be compared exactly); the exact thresholds are returned beside.
    /// </summary>
    public static Result Dissect(IReadOnlyList<ProbeSample> samples, IReadOnlyList<Concept> concepts, Layer layer,
        double quantile, IReadOnlyList<float> thresholds, int topImages)
    {
        int units = layer.Units, maxId = concepts.Max(c => c.Id), size = layer.Height * layer.Width;
        var categoryOf = concepts.ToDictionary(c => c.Id, c => c.Category);
        var labelsAt = samples.Select(s => LabelSets(s, categoryOf)).ToArray();
        var present = labelsAt.Select(sets => sets.SelectMany(s => s).Select(id => categoryOf[id]).ToHashSet()).ToArray();
        var labelArea = new long[maxId + 1];
        foreach (var sets in labelsAt)
            foreach (var set in sets)
                foreach (int id in set)
                    labelArea[id]++;

        var exact = new double[units];
        var iou = new double[units, maxId + 1];
        var top = new IReadOnlyList<(int, float)>[units];
        var masks = new bool[units][][];
        for (int u = 0; u < units; u++)
        {
            // a_u(x, p) for every image and pixel of this unit.
            var upsampled = Enumerable.Range(0, samples.Count).Select(i => Bilinear(layer.Raw[i].AsSpan(u * size, size),
                layer.Height, layer.Width, samples[i].MaskHeight, samples[i].MaskWidth)).ToArray();
            exact[u] = ExactQuantile(upsampled.SelectMany(v => v).Select(v => (double)v), 1 - quantile);

            var intersection = new long[maxId + 1];
            var maskInCategory = new Dictionary<string, long>();
            masks[u] = new bool[samples.Count][];
            for (int i = 0; i < samples.Count; i++)
            {
                masks[u][i] = upsampled[i].Select(v => v > thresholds[u]).ToArray();
                long on = 0;
                for (int p = 0; p < labelsAt[i].Length; p++)
                {
                    if (!masks[u][i][p]) continue;
                    on++;
                    foreach (int id in labelsAt[i][p]) intersection[id]++;
                }
                foreach (string category in present[i])
                    maskInCategory[category] = maskInCategory.GetValueOrDefault(category) + on;
            }
            foreach (var concept in concepts)
            {
                long inter = intersection[concept.Id];
                long union = maskInCategory.GetValueOrDefault(concept.Category) + labelArea[concept.Id] - inter;
                iou[u, concept.Id] = union == 0 ? 0 : (double)inter / union;
            }

            int unit = u;
            top[u] = Enumerable.Range(0, samples.Count)
                .Select(i => (Image: i, Max: layer.Raw[i].AsSpan(unit * size, size).ToArray().Max()))
                .OrderByDescending(e => e.Max).ThenBy(e => e.Image)
                .Take(topImages).Select(e => (e.Image, e.Max)).ToList();
        }
        return new Result(exact, iou, top, masks);
    }

    /// <summary>The set of concepts at each pixel: every pixel map's label, and every image-level label everywhere.</summary>
    static HashSet<int>[] LabelSets(ProbeSample sample, IReadOnlyDictionary<int, string> known)
    {
        var sets = Enumerable.Range(0, sample.MaskHeight * sample.MaskWidth).Select(_ => new HashSet<int>()).ToArray();
        foreach (var maps in sample.PixelLabels.Values)
            foreach (var map in maps)
                for (int p = 0; p < map.Length; p++)
                    if (map[p] != 0 && known.ContainsKey(map[p])) sets[p].Add(map[p]);
        foreach (var ids in sample.ImageLabels.Values)
            foreach (int id in ids)
                if (id != 0 && known.ContainsKey(id))
                    foreach (var set in sets) set.Add(id);
        return sets;
    }
}
