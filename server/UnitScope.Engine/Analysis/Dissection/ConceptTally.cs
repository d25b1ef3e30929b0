using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Pass 2 for one layer: with the thresholds fixed, counts over the probe set, per unit u and concept c,
/// <list type="bullet">
/// <item>I[u, c] = Σ_x |M_u(x) ∩ L_c(x)| — pixel labels on the device (gather the labels under the
/// "on" pixels, then one bincount over (unit, concept) pairs), image-level labels on the host
/// (|M_u(x)| for every image-level label of x);</item>
/// <item>A[u, k] = Σ |M_u(x)| over the images x with any label of category k.</item>
/// </list>
/// Only the maps whose raw maximum exceeds t_u are upsampled: bilinear values are convex combinations
/// of the raw ones, so the others have no pixel above t_u. Memory: units × (concepts + categories).
/// </summary>
internal sealed class ConceptTally : IDisposable
{
    readonly int _units;
    readonly int _conceptSlots; // max concept id + 1 (slot 0 = unlabelled, never read)
    readonly int _categories;
    readonly Device _device;
    readonly Tensor _thresholds;      // [U] float32
    readonly Tensor _activeAbove;     // [U] float32: a map can have pixels above t_u only if its raw max exceeds this
    readonly Tensor _pixelIntersection; // [U * slots] int64
    readonly long[] _imageIntersection; // [U * slots]
    readonly long[] _maskInCategory;    // [U * categories]
    readonly long[] _maskPixels;        // [U]

    public ConceptTally(int units, int maxConceptId, int categories, float[] thresholds, Device device)
    {
        _units = units;
        _conceptSlots = maxConceptId + 1;
        _categories = categories;
        _device = device;
        _thresholds = tensor(thresholds).to(device).DetachFromDisposeScope();
        // Rounding in the interpolation can put a value an ulp above the largest raw value: keep a margin.
        var margin = thresholds.Select(t => (float)(t - Math.Abs((double)t) * 1e-6)).ToArray();
        _activeAbove = tensor(margin).to(device).DetachFromDisposeScope();
        _pixelIntersection = zeros(units * (long)_conceptSlots, ScalarType.Int64, device).DetachFromDisposeScope();
        _imageIntersection = new long[units * (long)_conceptSlots];
        _maskInCategory = new long[units * (long)categories];
        _maskPixels = new long[units];
    }

    /// <summary>
    /// Counts images whose masks share one size: <paramref name="raw"/> [G, U, h, w] on the device,
    /// <paramref name="labels"/> the G images' labels.
    /// </summary>
    public void Add(Tensor raw, IReadOnlyList<ImageLabels> labels)
    {
        using var scope = NewDisposeScope();
        int images = labels.Count, height = labels[0].MaskHeight, width = labels[0].MaskWidth;
        long pixels = (long)height * width;

        var active = raw.amax([2, 3]).gt(_activeAbove.unsqueeze(0)).nonzero(); // [K, 2]: (image, unit)
        long pairs = active.shape[0];
        if (pairs == 0) return;
        var image = active.select(1, 0);
        var unit = active.select(1, 1);
        var maps = raw.reshape(images * (long)_units, raw.shape[2], raw.shape[3]).index_select(0, image.mul(_units).add(unit));
        var thresholds = _thresholds.index_select(0, unit);

        int mapsPerImage = labels.Max(l => l.Maps.Length);
        Tensor? labelTable = mapsPerImage == 0 ? null : LabelTable(labels, mapsPerImage, pixels); // [G * P, maps]
        var onPerPair = empty(pairs, ScalarType.Int64, _device);
        long rowsPerChunk = MaskUpsampling.RowsPerChunk(pixels);
        for (long start = 0; start < pairs; start += rowsPerChunk)
        {
            using var chunkScope = NewDisposeScope();
            long rows = Math.Min(rowsPerChunk, pairs - start);
            var on = MaskUpsampling.ToMask(maps.narrow(0, start, rows), height, width)
                .gt(thresholds.narrow(0, start, rows).unsqueeze(1)); // [rows, P]
            onPerPair.narrow(0, start, rows).copy_(on.sum(1, type: ScalarType.Int64));
            if (labelTable is null) continue;
            var hits = on.nonzero(); // [Z, 2]: (row, pixel)
            if (hits.shape[0] == 0) continue;
            var row = hits.select(1, 0).add(start);
            var pixel = image.index_select(0, row).mul(pixels).add(hits.select(1, 1));
            var concept = labelTable.index_select(0, pixel).to(ScalarType.Int64); // [Z, maps]
            var key = concept.add_(unit.index_select(0, row).mul(_conceptSlots).unsqueeze(1)).reshape(-1);
            _pixelIntersection.index_add_(0, key, ones(key.shape[0], ScalarType.Int64, _device), 1);
        }

        // Per (image, unit) mask areas, for image-level labels and the category denominators.
        var pairImage = image.cpu().data<long>().ToArray();
        var pairUnit = unit.cpu().data<long>().ToArray();
        var area = onPerPair.cpu().data<long>().ToArray();
        for (int i = 0; i < area.Length; i++)
        {
            if (area[i] == 0) continue;
            int u = (int)pairUnit[i];
            var imageLabels = labels[(int)pairImage[i]];
            _maskPixels[u] += area[i];
            foreach (int k in imageLabels.PresentCategories)
                _maskInCategory[u * (long)_categories + k] += area[i];
            foreach (int c in imageLabels.ImageLevel)
                _imageIntersection[u * (long)_conceptSlots + c] += area[i];
        }
    }

    /// <summary>[G × P, maps] int32 concept ids (0 where a map is absent or unlabelled), on the device.</summary>
    Tensor LabelTable(IReadOnlyList<ImageLabels> labels, int mapsPerImage, long pixels)
    {
        var table = new int[labels.Count * pixels * mapsPerImage];
        for (int g = 0; g < labels.Count; g++)
        {
            var maps = labels[g].Maps;
            for (int m = 0; m < maps.Length; m++)
            {
                var map = maps[m];
                long offset = g * pixels * mapsPerImage + m;
                for (int p = 0; p < map.Length; p++)
                    table[offset + p * mapsPerImage] = map[p];
            }
        }
        return tensor(table, [labels.Count * pixels, mapsPerImage]).to(_device);
    }

    /// <summary>
    /// IoU[u, c] = I / (A[u, category(c)] + |L_c| − I), over every concept id (0 where the denominator
    /// is 0 or the id names no concept). <paramref name="labelArea"/>[c] = Σ_x |L_c(x)|.
    /// </summary>
    public double[] Iou(long[] labelArea, int[] categoryOf)
    {
        var pixelIntersection = _pixelIntersection.cpu().data<long>().ToArray();
        var iou = new double[_units * (long)_conceptSlots];
        for (int u = 0; u < _units; u++)
            for (int c = 1; c < _conceptSlots; c++)
            {
                int k = categoryOf[c];
                if (k < 0) continue;
                long slot = u * (long)_conceptSlots + c;
                long intersection = pixelIntersection[slot] + _imageIntersection[slot];
                long union = _maskInCategory[u * (long)_categories + k] + labelArea[c] - intersection;
                iou[slot] = union > 0 ? (double)intersection / union : 0;
            }
        return iou;
    }

    /// <summary>Σ_x |M_u(x)|: how many pixels each unit has "on" over the probe set.</summary>
    public IReadOnlyList<long> MaskPixels => _maskPixels;

    public void Dispose()
    {
        _thresholds.Dispose();
        _activeAbove.Dispose();
        _pixelIntersection.Dispose();
    }
}
