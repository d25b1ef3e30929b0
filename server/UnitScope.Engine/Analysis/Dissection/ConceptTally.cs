using System.Numerics;
using System.Runtime.Intrinsics;
using UnitScope.Engine.Runtime;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Pass 2 for one layer: with the thresholds fixed, counts over the probe set, per unit u and concept c,
/// <list type="bullet">
/// <item>I[u, c] = Σ_x |M_u(x) ∩ L_c(x)|: for pixel labels, the labels under each "on" pixel of every
/// map; for image-level labels, |M_u(x)|;</item>
/// <item>A[u, k] = Σ |M_u(x)| over the images x with any label of category k.</item>
/// </list>
/// Cell by cell (<see cref="CellGrid"/>): a cell whose sources all lie at or under t_u has no "on" pixel
/// and is skipped, one whose sources all lie above it is "on" whole and only its labels are read; only
/// the cells in between are resampled and compared pixel by pixel, so the counts are those of resampling
/// every map. Units go across the cores. Also keeps each unit's masks on its top images, as bits, for the
/// unit cards. Memory: units × (concepts + categories) + units × top images × mask.
/// </summary>
internal sealed class ConceptTally
{
    readonly int _units;
    readonly int _conceptSlots; // max concept id + 1 (slot 0 = unlabelled, never read)
    readonly int _categories;
    readonly float[] _thresholds;
    readonly long[] _intersection;   // [U * slots]
    readonly long[] _maskInCategory; // [U * categories]
    readonly long[] _maskPixels;     // [U]
    readonly IReadOnlyList<TopImage>[] _top;
    readonly UnitMask?[][] _topMasks; // [U][rank among its top images]

    public ConceptTally(int units, int maxConceptId, int categories, float[] thresholds, IReadOnlyList<TopImage>[] top)
    {
        _units = units;
        _conceptSlots = maxConceptId + 1;
        _categories = categories;
        _thresholds = thresholds;
        _intersection = new long[units * (long)_conceptSlots];
        _maskInCategory = new long[units * (long)categories];
        _maskPixels = new long[units];
        _top = top;
        _topMasks = [.. top.Select(t => new UnitMask?[t.Count])];
    }

    /// <summary>
    /// Counts <paramref name="labels"/>.Count images whose maps are <paramref name="maps"/>
    /// ([images × units × h × w]), in the order of <paramref name="labels"/> (which name their images).
    /// </summary>
    public void Add(float[] maps, int height, int width, IReadOnlyList<ImageLabels> labels, CancellationToken ct)
    {
        int mapSize = height * width;
        Parallel.For(0, _units, ParallelWork.Options(ct), () => new CellScratch(), (u, _, scratch) =>
        {
            var intersection = _intersection.AsSpan((int)(u * (long)_conceptSlots), _conceptSlots);
            for (int n = 0; n < labels.Count; n++)
            {
                var image = labels[n];
                var grid = CellGrid.For(height, width, image.MaskHeight, image.MaskWidth);
                int top = IndexOf(_top[u], image.ImageIndex);
                var bits = top >= 0 ? new ulong[(image.Pixels + 63) / 64] : null;
                long on = CountMap(grid, maps.AsSpan((n * _units + u) * mapSize, mapSize), _thresholds[u], image, _intersection, (int)(u * (long)_conceptSlots), bits, scratch);
                if (bits is not null) _topMasks[u][top] = new UnitMask(image.ImageIndex, image.MaskHeight, image.MaskWidth, bits);
                if (on == 0) continue;
                _maskPixels[u] += on;
                foreach (int k in image.PresentCategories)
                    _maskInCategory[u * (long)_categories + k] += on;
                foreach (int c in image.ImageLevel)
                    intersection[c] += on;
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>
    /// One map's "on" pixels: counted, their pixel labels tallied in <paramref name="intersection"/> from
    /// <paramref name="unitRow"/> (where the unit's counts start), marked in <paramref name="bits"/> when given.
    /// </summary>
    static long CountMap(CellGrid grid, ReadOnlySpan<float> map, float threshold, ImageLabels image, long[] intersection, int unitRow,
        ulong[]? bits, CellScratch s)
    {
        s.Fit(grid);
        grid.Bounds(map, s.Low, s.High, s.Zero);
        int columns = grid.Columns.Length, maskWidth = grid.MaskWidth;
        long on = 0;
        for (int cell = 0; cell < grid.Count; cell++)
        {
            float lo = s.Low[cell], hi = s.High[cell];
            double margin = CellGrid.Margin(lo, hi);
            if (hi + margin <= threshold) continue;
            var rows = grid.Rows[cell / columns];
            var cols = grid.Columns[cell % columns];
            if (lo - margin > threshold)
            {
                for (int y = rows.Start; y < rows.End; y++)
                    for (int x = cols.Start; x < cols.End; x++)
                        On(y * maskWidth + x);
                continue;
            }
            var a = s.Across.AsSpan(0, cols.Length);
            var b = s.Across.AsSpan(cols.Length, cols.Length);
            var values = s.Values.AsSpan(0, cols.Length);
            grid.Blend(map, cell / columns, cell % columns, a, b);
            for (int y = rows.Start; y < rows.End; y++)
            {
                grid.Row(y, a, b, values);
                int i = 0, first = y * maskWidth + cols.Start;
                if (Vector256.IsHardwareAccelerated)
                {
                    var t = Vector256.Create(threshold);
                    for (; i + 8 <= values.Length; i += 8)
                        for (uint above = Vector256.GreaterThan(Vector256.Create(values.Slice(i, 8)), t).ExtractMostSignificantBits();
                             above != 0; above &= above - 1)
                            On(first + i + BitOperations.TrailingZeroCount(above));
                }
                for (; i < values.Length; i++)
                    if (values[i] > threshold) On(first + i);
            }
        }
        return on;

        void On(int p)
        {
            on++;
            foreach (var labelMap in image.Maps)
                intersection[unitRow + labelMap[p]]++; // slot 0 (unlabelled) is never read
            if (bits is not null) bits[p >> 6] |= 1UL << (p & 63);
        }
    }

    static int IndexOf(IReadOnlyList<TopImage> top, int image)
    {
        for (int i = 0; i < top.Count; i++)
            if (top[i].ImageIndex == image) return i;
        return -1;
    }

    /// <summary>
    /// IoU[u, c] = I / (A[u, category(c)] + |L_c| − I), over every concept id (0 where the denominator
    /// is 0 or the id names no concept). <paramref name="labelArea"/>[c] = Σ_x |L_c(x)|.
    /// </summary>
    public double[] Iou(long[] labelArea, int[] categoryOf)
    {
        var iou = new double[_units * (long)_conceptSlots];
        for (int u = 0; u < _units; u++)
            for (int c = 1; c < _conceptSlots; c++)
            {
                int k = categoryOf[c];
                if (k < 0) continue;
                long slot = u * (long)_conceptSlots + c;
                long union = _maskInCategory[u * (long)_categories + k] + labelArea[c] - _intersection[slot];
                iou[slot] = union > 0 ? (double)_intersection[slot] / union : 0;
            }
        return iou;
    }

    /// <summary>Σ_x |M_u(x)|: how many pixels each unit has "on" over the probe set.</summary>
    public IReadOnlyList<long> MaskPixels => _maskPixels;

    /// <summary>Unit <paramref name="unit"/>'s masks on its top images, in their order (each seen in pass 2).</summary>
    public IReadOnlyList<UnitMask> TopMasks(int unit) => [.. _topMasks[unit].OfType<UnitMask>()];
}
