using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// Dissection by brute force, written from the definitions and not from the engine: dense double
/// arrays, bilinear resampling in plain loops, thresholds by sorting every value, IoU by counting
/// pixel by pixel with label sets.
/// </summary>
static class ReferenceDissection
{
    /// <summary>PyTorch's bilinear resampling with align_corners=False (source = (dst + ½)·in/out − ½, clamped at 0).</summary>
    public static double[] Bilinear(ReadOnlySpan<float> map, int height, int width, int outHeight, int outWidth)
    {
        var result = new double[outHeight * outWidth];
        for (int y = 0; y < outHeight; y++)
        {
            var (y0, y1, ly) = Source(y, height, outHeight);
            for (int x = 0; x < outWidth; x++)
            {
                var (x0, x1, lx) = Source(x, width, outWidth);
                double top = (1 - lx) * map[y0 * width + x0] + lx * map[y0 * width + x1];
                double bottom = (1 - lx) * map[y1 * width + x0] + lx * map[y1 * width + x1];
                result[y * outWidth + x] = (1 - ly) * top + ly * bottom;
            }
        }
        return result;
    }

    static (int, int, double) Source(int destination, int inSize, int outSize)
    {
        double source = Math.Max((destination + 0.5) * inSize / outSize - 0.5, 0);
        int i0 = Math.Min((int)Math.Floor(source), inSize - 1);
        return (i0, Math.Min(i0 + 1, inSize - 1), source - i0);
    }

    /// <summary>The (fraction) quantile as the order statistic of rank ⌈fraction·n⌉ − 1, by sorting.</summary>
    public static double ExactQuantile(IEnumerable<double> values, double fraction)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        long rank = Math.Clamp((long)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[rank];
    }

    public sealed record Layer(int Units, int Height, int Width, IReadOnlyList<float[]> Raw);

    public sealed record Result(double[] ExactThresholds, double[,] Iou, IReadOnlyList<(int Image, float Max)>[] Top);

    /// <summary>
    /// One layer's dissection over <paramref name="samples"/>: <paramref name="layer"/>.Raw[i] is image i's
    /// [units × h × w] activations. IoU is computed with <paramref name="thresholds"/> (the engine's, so
    /// that the counts can be compared exactly); the exact thresholds are returned beside.
    /// </summary>
    public static Result Dissect(IReadOnlyList<ProbeSample> samples, IReadOnlyList<Concept> concepts, Layer layer,
        double quantile, IReadOnlyList<float> thresholds, int topImages)
    {
        int units = layer.Units, maxId = concepts.Max(c => c.Id);
        var categoryOf = concepts.ToDictionary(c => c.Id, c => c.Category);

        // a_u(x, p) for every unit, image, pixel.
        var upsampled = new double[samples.Count][][];
        for (int i = 0; i < samples.Count; i++)
        {
            upsampled[i] = new double[units][];
            for (int u = 0; u < units; u++)
                upsampled[i][u] = Bilinear(layer.Raw[i].AsSpan(u * layer.Height * layer.Width, layer.Height * layer.Width),
                    layer.Height, layer.Width, samples[i].MaskHeight, samples[i].MaskWidth);
        }

        var exact = new double[units];
        for (int u = 0; u < units; u++)
            exact[u] = ExactQuantile(upsampled.SelectMany(image => image[u]), 1 - quantile);

        var intersection = new long[units, maxId + 1];
        var maskInCategory = new Dictionary<(int, string), long>();
        var labelArea = new long[maxId + 1];
        for (int i = 0; i < samples.Count; i++)
        {
            var sample = samples[i];
            var labelsAt = LabelSets(sample, categoryOf);
            var present = labelsAt.SelectMany(s => s).Select(id => categoryOf[id]).ToHashSet();
            foreach (var set in labelsAt)
                foreach (int id in set)
                    labelArea[id]++;
            for (int u = 0; u < units; u++)
            {
                long on = 0;
                for (int p = 0; p < labelsAt.Length; p++)
                {
                    if (!(upsampled[i][u][p] > thresholds[u])) continue;
                    on++;
                    foreach (int id in labelsAt[p]) intersection[u, id]++;
                }
                foreach (string category in present)
                    maskInCategory[(u, category)] = maskInCategory.GetValueOrDefault((u, category)) + on;
            }
        }

        var iou = new double[units, maxId + 1];
        for (int u = 0; u < units; u++)
            foreach (var concept in concepts)
            {
                long inter = intersection[u, concept.Id];
                long union = maskInCategory.GetValueOrDefault((u, concept.Category)) + labelArea[concept.Id] - inter;
                iou[u, concept.Id] = union == 0 ? 0 : (double)inter / union;
            }

        var top = new IReadOnlyList<(int, float)>[units];
        for (int u = 0; u < units; u++)
        {
            int unit = u, size = layer.Height * layer.Width;
            top[u] = Enumerable.Range(0, samples.Count)
                .Select(i => (Image: i, Max: layer.Raw[i].AsSpan(unit * size, size).ToArray().Max()))
                .OrderByDescending(e => e.Max).ThenBy(e => e.Image)
                .Take(topImages).Select(e => (e.Image, e.Max)).ToList();
        }
        return new Result(exact, iou, top);
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
