using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Pass 2 for one layer: with the thresholds fixed, counts over the probe set, per unit u and concept c,
/// <list type="bullet">
/// <item>I[u, c] = Σ_x |M_u(x) ∩ L_c(x)|: for pixel labels, the labels under each "on" pixel of every
/// map; for image-level labels, |M_u(x)|;</item>
/// <item>A[u, k] = Σ |M_u(x)| over the images x with any label of category k.</item>
/// </list>
/// Only the maps whose raw maximum exceeds t_u are resampled (bilinear values are convex combinations
/// of the raw ones, so the others have no pixel above t_u). Then
/// <list type="bullet">
/// <item>on a CUDA device, with tensor ops (<see cref="Add"/>): resample as a matmul
/// (<see cref="MaskUpsampling.ToMask"/>), threshold, nonzero, gather the labels under the hits,
/// index_add over (unit, concept) pairs;</item>
/// <item>on the CPU, in managed code (<see cref="AddOnHost"/>), units across the cores: resample
/// (<see cref="MaskUpsampling.Resample"/>), one vectorised scan of each map for values above t_u, the
/// labels of the (few) hits read straight from the label maps — libtorch's nonzero, gathers and
/// small ops cost more there than the counting itself.</item>
/// </list>
/// Both count by the same definition (the tests check both against a brute-force reference; their
/// resampling differs only by float32 rounding). Memory: units × (concepts + categories).
/// </summary>
internal sealed class ConceptTally : IDisposable
{
    readonly int _units;
    readonly int _conceptSlots; // max concept id + 1 (slot 0 = unlabelled, never read)
    readonly int _categories;
    readonly Device _device;
    readonly float[] _thresholdValues;
    readonly float[] _activeAboveValues;
    readonly Tensor _thresholds;      // [U] float32
    readonly Tensor _activeAbove;     // [U] float32: a map can have pixels above t_u only if its raw max exceeds this
    readonly Tensor? _pixelIntersection; // [U * slots] int64 on the device (tensor path)
    readonly long[] _hostIntersection;   // [U * slots]: image-level labels, and pixel labels on the CPU path
    readonly long[] _maskInCategory;     // [U * categories]
    readonly long[] _maskPixels;         // [U]

    /// <param name="tensorOps">Count with tensor ops even on the CPU (default: only on other devices).</param>
    public ConceptTally(int units, int maxConceptId, int categories, float[] thresholds, Device device, bool? tensorOps = null)
    {
        _units = units;
        _conceptSlots = maxConceptId + 1;
        _categories = categories;
        _device = device;
        _thresholdValues = thresholds;
        _thresholds = tensor(thresholds).to(device).DetachFromDisposeScope();
        // Rounding in the interpolation can put a value an ulp above the largest raw value: keep a margin.
        _activeAboveValues = thresholds.Select(t => (float)(t - Math.Abs((double)t) * 1e-6)).ToArray();
        _activeAbove = tensor(_activeAboveValues).to(device).DetachFromDisposeScope();
        if (tensorOps ?? device.type != TorchSharp.DeviceType.CPU)
            _pixelIntersection = zeros(units * (long)_conceptSlots, ScalarType.Int64, device).DetachFromDisposeScope();
        _hostIntersection = new long[units * (long)_conceptSlots];
        _maskInCategory = new long[units * (long)categories];
        _maskPixels = new long[units];
    }

    /// <summary>
    /// Counts images whose masks share one size: <paramref name="raw"/> [G, U, h, w] on the device,
    /// <paramref name="labels"/> the G images' labels.
    /// </summary>
    public void Add(Tensor raw, IReadOnlyList<ImageLabels> labels)
    {
        if (OnHost) throw new InvalidOperationException("This tally counts on the host: use AddOnHost.");
        using var scope = NewDisposeScope();
        int images = labels.Count, height = labels[0].MaskHeight, width = labels[0].MaskWidth;
        long pixels = (long)height * width;

        var active = raw.amax([2, 3]).gt(_activeAbove.unsqueeze(0)).nonzero(); // [K, 2]: (image, unit)
        long pairs = active.shape[0];
        if (pairs == 0) return;
        var image = active.select(1, 0);
        var unit = active.select(1, 1);
        using var units = Scalars.Of(_units);
        var maps = raw.reshape(images * (long)_units, raw.shape[2], raw.shape[3]).index_select(0, image.mul(units).add(unit, Scalars.One));
        var pairImage = HostLongs(image);
        var pairUnit = HostLongs(unit);
        var area = new long[pairs];

        long rowsPerChunk = MaskUpsampling.RowsPerChunk(pixels);
        for (long start = 0; start < pairs; start += rowsPerChunk)
        {
            using var chunkScope = NewDisposeScope();
            long rows = Math.Min(rowsPerChunk, pairs - start);
            var values = MaskUpsampling.ToMask(maps.narrow(0, start, rows), height, width); // [rows, P]
            CountWithTensors(values, start, image, unit, labels, area);
        }

        // Per (image, unit) mask areas: image-level labels and the category denominators.
        for (int i = 0; i < area.Length; i++)
        {
            if (area[i] == 0) continue;
            int u = (int)pairUnit[i];
            var imageLabels = labels[(int)pairImage[i]];
            _maskPixels[u] += area[i];
            foreach (int k in imageLabels.PresentCategories)
                _maskInCategory[u * (long)_categories + k] += area[i];
            foreach (int c in imageLabels.ImageLevel)
                _hostIntersection[u * (long)_conceptSlots + c] += area[i];
        }
    }

    /// <summary>Whether this counts in managed memory (<see cref="AddOnHost"/> works) rather than with tensor ops.</summary>
    public bool OnHost => _pixelIntersection is null;

    /// <summary>
    /// The CPU path without tensors: <paramref name="raw"/> [images × units × h × w] for
    /// <paramref name="labels"/>' images (any mask sizes); units spread over the cores (no libtorch op
    /// runs meanwhile).
    /// </summary>
    public void AddOnHost(float[] raw, int height, int width, IReadOnlyList<ImageLabels> labels)
    {
        if (!OnHost) throw new InvalidOperationException("AddOnHost counts on the host only.");
        int mapSize = height * width, largest = labels.Max(l => l.Pixels), widest = labels.Max(l => l.MaskWidth);
        Parallel.For(0, _units, ParallelWork.Options(), u =>
        {
            var output = System.Buffers.ArrayPool<float>.Shared.Rent(largest);
            var scratch = System.Buffers.ArrayPool<float>.Shared.Rent(height * widest);
            try
            {
                float threshold = _thresholdValues[u], activeAbove = _activeAboveValues[u];
                var intersection = _hostIntersection.AsSpan((int)(u * (long)_conceptSlots), _conceptSlots);
                for (int n = 0; n < labels.Count; n++)
                {
                    var map = raw.AsSpan((n * _units + u) * mapSize, mapSize);
                    if (!(Max(map) > activeAbove)) continue;
                    var image = labels[n];
                    var values = output.AsSpan(0, image.Pixels);
                    MaskUpsampling.Resample(map, height, width, image.MaskHeight, image.MaskWidth, scratch, values);
                    long on = 0;
                    for (int p = NextAbove(values, 0, threshold); p >= 0; p = NextAbove(values, p + 1, threshold))
                    {
                        on++;
                        foreach (var labelMap in image.Maps)
                            intersection[labelMap[p]]++; // slot 0 (unlabelled) is never read
                    }
                    if (on == 0) continue;
                    _maskPixels[u] += on;
                    foreach (int k in image.PresentCategories)
                        _maskInCategory[u * (long)_categories + k] += on;
                    foreach (int c in image.ImageLevel)
                        intersection[c] += on;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(output);
                System.Buffers.ArrayPool<float>.Shared.Return(scratch);
            }
        });
    }

    static float Max(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values) if (v > max) max = v;
        return max;
    }

    /// <summary>The first index ≥ <paramref name="from"/> whose value exceeds <paramref name="threshold"/>, or −1.</summary>
    static int NextAbove(ReadOnlySpan<float> row, int from, float threshold)
    {
        int i = from;
        if (Vector256.IsHardwareAccelerated)
        {
            var t = Vector256.Create(threshold);
            ref float start = ref MemoryMarshal.GetReference(row);
            for (; i + 8 <= row.Length; i += 8)
            {
                uint above = Vector256.GreaterThan(Vector256.LoadUnsafe(ref start, (nuint)i), t).ExtractMostSignificantBits();
                if (above != 0) return i + System.Numerics.BitOperations.TrailingZeroCount(above);
            }
        }
        for (; i < row.Length; i++)
            if (row[i] > threshold) return i;
        return -1;
    }

    void CountWithTensors(Tensor values, long start, Tensor image, Tensor unit, IReadOnlyList<ImageLabels> labels, long[] area)
    {
        long rows = values.shape[0], pixels = values.shape[1];
        var rowUnits = unit.narrow(0, start, rows);
        var on = values.gt(_thresholds.index_select(0, rowUnits).unsqueeze(1)); // [rows, P]
        HostLongs(on.sum(1, type: ScalarType.Int64)).CopyTo(area, start);
        int mapsPerImage = labels.Max(l => l.Maps.Length);
        if (mapsPerImage == 0) return;
        var hits = on.nonzero(); // [Z, 2]: (row, pixel)
        if (hits.shape[0] == 0) return;
        var row = hits.select(1, 0);
        using TorchSharp.Scalar zero = Scalars.Of(0), perImage = Scalars.Of(mapsPerImage * pixels), perMap = Scalars.Of(pixels), slots = Scalars.Of(_conceptSlots);
        // Where each hit's labels are in the table: ((image · maps + m) · P + pixel) for every map m.
        var where = image.narrow(0, start, rows).index_select(0, row).mul(perImage).add(hits.select(1, 1), Scalars.One).unsqueeze(1)
            .add(arange(zero, perImage, perMap, ScalarType.Int64, _device).unsqueeze(0), Scalars.One);
        var concept = LabelTable(labels, mapsPerImage, pixels).take(where).to(ScalarType.Int64); // [Z, maps]
        var key = concept.add_(rowUnits.index_select(0, row).mul(slots).unsqueeze(1), Scalars.One).reshape(-1);
        _pixelIntersection!.index_add_(0, key, ones(key.shape[0], ScalarType.Int64, _device), Scalars.One);
    }

    /// <summary>[G × maps × P] int32 concept ids (0 where a map is absent or unlabelled), on the device.</summary>
    Tensor LabelTable(IReadOnlyList<ImageLabels> labels, int mapsPerImage, long pixels)
    {
        var table = new int[labels.Count * pixels * mapsPerImage];
        for (int g = 0; g < labels.Count; g++)
        {
            var maps = labels[g].Maps;
            for (int m = 0; m < maps.Length; m++)
                maps[m].CopyTo(table, (g * mapsPerImage + m) * pixels);
        }
        return tensor(table).to(_device);
    }

    /// <summary>A copy on the host (temporaries go to the caller's dispose scope).</summary>
    static long[] HostLongs(Tensor t) =>
        MemoryMarshal.Cast<byte, long>(t.to(ScalarType.Int64).cpu().contiguous().bytes).ToArray();

    /// <summary>
    /// IoU[u, c] = I / (A[u, category(c)] + |L_c| − I), over every concept id (0 where the denominator
    /// is 0 or the id names no concept). <paramref name="labelArea"/>[c] = Σ_x |L_c(x)|.
    /// </summary>
    public double[] Iou(long[] labelArea, int[] categoryOf)
    {
        using var scope = NewDisposeScope();
        var intersection = (long[])_hostIntersection.Clone();
        if (_pixelIntersection is not null)
        {
            var device = HostLongs(_pixelIntersection);
            for (int i = 0; i < intersection.Length; i++) intersection[i] += device[i];
        }
        var iou = new double[_units * (long)_conceptSlots];
        for (int u = 0; u < _units; u++)
            for (int c = 1; c < _conceptSlots; c++)
            {
                int k = categoryOf[c];
                if (k < 0) continue;
                long slot = u * (long)_conceptSlots + c;
                long union = _maskInCategory[u * (long)_categories + k] + labelArea[c] - intersection[slot];
                iou[slot] = union > 0 ? (double)intersection[slot] / union : 0;
            }
        return iou;
    }

    /// <summary>Σ_x |M_u(x)|: how many pixels each unit has "on" over the probe set.</summary>
    public IReadOnlyList<long> MaskPixels => _maskPixels;

    public void Dispose()
    {
        _thresholds.Dispose();
        _activeAbove.Dispose();
        _pixelIntersection?.Dispose();
    }
}
