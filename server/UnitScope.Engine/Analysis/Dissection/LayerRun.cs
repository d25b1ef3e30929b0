using System.Buffers;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>Pass 1 state of one layer: histograms, top images, the activation spill; then its thresholds.</summary>
internal sealed class LayerRun(string name, Device device, int topImages, SpillFile spill, bool? tensorOps) : IDisposable
{
    UnitHistograms? _histograms;
    long _bytesPerImage;
    int _height, _width;
    bool _disposed;

    public string Name { get; } = name;
    public SpillFile Spill { get; } = spill;
    public int Units { get; private set; }
    public TopImageTracker Top { get; private set; } = null!;
    public float[] Thresholds { get; private set; } = [];
    public float[] Bounds { get; private set; } = [];

    /// <summary>
    /// <paramref name="raw"/> [N, U, h, w]: the layer's output for images firstImage…: widens the
    /// histograms' ranges, ranks the images, writes the spill, and counts the values — with tensor
    /// ops here, or, on the CPU, returns a copy of the activations for <see cref="CountOnHost"/>.
    /// </summary>
    public float[]? AddBatch(Tensor raw, (int Height, int Width)[] masks, int firstImage, double quantile)
    {
        if (raw.dim() != 4 || raw.shape[0] != masks.Length)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{Name}' gave activations of shape [{string.Join(", ", raw.shape)}] for {masks.Length} images: dissection needs [images, units, height, width].");
        if (raw.dtype != ScalarType.Float32) raw = raw.to(ScalarType.Float32);
        raw = raw.contiguous();
        if (_histograms is null)
        {
            Units = (int)raw.shape[1];
            _height = (int)raw.shape[2];
            _width = (int)raw.shape[3];
            _bytesPerImage = (long)Units * _height * _width * sizeof(float);
            _histograms = new UnitHistograms(Units, device, tensorOps: tensorOps);
            Top = new TopImageTracker(Units, topImages);
        }
        else if (raw.shape[1] != Units || raw.shape[2] != _height || raw.shape[3] != _width)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{Name}' changed shape between batches: [{Units}, {_height}, {_width}], then [{string.Join(", ", raw.shape.Skip(1))}].");

        var host = raw.cpu();
        Spill.Write(host.bytes);
        float[]? values = null;
        double[] min, max;
        float[] maxima; // [N × U]
        if (_histograms.OnHost)
        {
            // Extremes in managed code: on the CPU a few libtorch reductions cost more than the scan.
            var floats = MemoryMarshal.Cast<byte, float>(host.bytes);
            values = ArrayPool<float>.Shared.Rent(floats.Length); // returned after CountOnHost
            floats.CopyTo(values);
            (min, max, maxima) = Extremes(values, masks.Length);
        }
        else
        {
            min = raw.amin([0, 2, 3]).to(ScalarType.Float64).cpu().data<double>().ToArray();
            max = raw.amax([0, 2, 3]).to(ScalarType.Float64).cpu().data<double>().ToArray();
            maxima = raw.amax([2, 3]).cpu().data<float>().ToArray();
        }
        for (int u = 0; u < Units; u++)
            if (!double.IsFinite(min[u]) || !double.IsFinite(max[u]))
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"Layer '{Name}' unit {u} has non-finite activations (NaN or infinity) among probe images {firstImage}–{firstImage + masks.Length - 1}.");
        _histograms.Include(min, max);
        Top.Add(maxima, firstImage, masks.Length);
        if (values is not null)
            return values;
        Histogram(_histograms, raw, masks, maxima, Enumerable.Range(0, Units).ToArray());
        _histograms.RaiseFloors(1 - quantile);
        return null;
    }

    /// <summary>Per unit: smallest and largest value (NaN if any is NaN); per map: largest value.</summary>
    (double[] Min, double[] Max, float[] Maxima) Extremes(float[] values, int images)
    {
        int mapSize = _height * _width;
        var min = Enumerable.Repeat(double.PositiveInfinity, Units).ToArray();
        var max = Enumerable.Repeat(double.NegativeInfinity, Units).ToArray();
        var maxima = new float[images * Units];
        for (int n = 0; n < images; n++)
            for (int u = 0; u < Units; u++)
            {
                float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
                bool nan = false;
                foreach (float v in values.AsSpan((n * Units + u) * mapSize, mapSize))
                {
                    if (v < lo) lo = v;
                    if (v > hi) hi = v;
                    nan |= float.IsNaN(v);
                }
                maxima[n * Units + u] = nan ? float.NaN : hi;
                min[u] = nan ? double.NaN : Math.Min(min[u], lo);
                max[u] = nan ? double.NaN : Math.Max(max[u], hi);
            }
        return (min, max, maxima);
    }

    /// <summary>The CPU path's counting of one batch (<see cref="AddBatch"/>'s copy); may run on another thread.</summary>
    public void CountOnHost(float[] raw, (int Height, int Width)[] masks, double quantile)
    {
        _histograms!.AddMaps(raw, masks.Length, _height, _width, masks);
        _histograms.RaiseFloors(1 - quantile);
    }

    /// <summary>
    /// Reads the thresholds out of the histograms; units whose quantile fell under their floor
    /// (see <see cref="UnitHistograms"/>) are counted again from the spill, without floors.
    /// Returns how many units were counted again.
    /// </summary>
    public int FinishThresholds(double quantile, SpillFile labelSpill, int imageCount, int batchSize, CancellationToken ct)
    {
        (Thresholds, Bounds) = _histograms!.Quantiles(1 - quantile);
        var again = Enumerable.Range(0, Units).Where(u => float.IsNaN(Thresholds[u])).ToArray();
        if (again.Length > 0)
            Recount(again, quantile, labelSpill, imageCount, batchSize, ct);
        _histograms.Dispose();
        _histograms = null;
        Spill.Rewind();
        return again.Length;
    }

    /// <summary>
    /// Adds images' a_u to <paramref name="histograms"/>, whose unit i is this layer's unit
    /// <paramref name="units"/>[i] (<paramref name="raw"/> [N, units, h, w] holds just those). A map
    /// whose raw maximum (<paramref name="maxima"/>[n × units + i]) lies under its unit's floor
    /// is counted as under it whole, without resampling: bilinear values are convex combinations of the raw ones.
    /// </summary>
    void Histogram(UnitHistograms histograms, Tensor raw, (int Height, int Width)[] masks, float[] maxima, int[] units)
    {
        int count = units.Length;
        var floors = Enumerable.Range(0, count)
            .Select(i => histograms.Floor(i) is var f && double.IsNegativeInfinity(f) ? f : f - Math.Abs(f) * 1e-6).ToArray();
        var flat = raw.reshape(-1, _height, _width); // row n × count + i
        foreach (var (positions, height, width) in GroupByMaskSize(masks))
        {
            var rows = new List<long>();
            var rowUnits = new List<int>();
            foreach (long n in positions)
                for (int i = 0; i < count; i++)
                {
                    if (maxima[n * count + i] < floors[i]) histograms.AddBelow(i, (long)height * width);
                    else
                    {
                        rows.Add(n * count + i);
                        rowUnits.Add(i);
                    }
                }
            if (rows.Count == 0) continue;
            var selected = rows.Count == flat.shape[0] ? flat : flat.index_select(0, tensor(rows.ToArray(), device: flat.device));
            long chunk = MaskUpsampling.RowsPerChunk((long)height * width);
            for (int start = 0; start < rows.Count; start += (int)chunk)
            {
                using var chunkScope = NewDisposeScope();
                int length = (int)Math.Min(chunk, rows.Count - start);
                var values = MaskUpsampling.ToMask(selected.narrow(0, start, length), height, width);
                if (height == _height && width == _width) values = values.clone(); // may be a view of raw: Add may overwrite it
                histograms.Add(values, rowUnits.GetRange(start, length).ToArray());
            }
        }
    }

    void Recount(int[] units, double quantile, SpillFile labelSpill, int imageCount, int batchSize, CancellationToken ct)
    {
        using var histograms = new UnitHistograms(units.Length, device, tensorOps: tensorOps);
        var extremes = units.Select(_histograms!.Extremes).ToArray();
        histograms.Include(extremes.Select(e => e.Min).ToArray(), extremes.Select(e => e.Max).ToArray());
        Spill.Rewind();
        labelSpill.Rewind();
        for (int start = 0; start < imageCount; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, imageCount - start);
            var labels = new ImageLabels[count];
            for (int i = 0; i < count; i++) labels[i] = ImageLabels.ReadFrom(labelSpill.Reader);
            using var scope = NewDisposeScope();
            var raw = ReadBatch(count).to(device).index_select(1, tensor(units.Select(u => (long)u).ToArray(), device: device)).contiguous();
            var maxima = raw.amax([2, 3]).cpu().data<float>().ToArray();
            Histogram(histograms, raw, labels.Select(l => (l.MaskHeight, l.MaskWidth)).ToArray(), maxima, units);
        }
        var (thresholds, bounds) = histograms.Quantiles(1 - quantile);
        for (int i = 0; i < units.Length; i++)
        {
            Thresholds[units[i]] = thresholds[i];
            Bounds[units[i]] = bounds[i];
        }
    }

    public int Height => _height;
    public int Width => _width;

    /// <summary>The next <paramref name="count"/> images' raw activations from the spill, [count × U × h × w].</summary>
    public float[] ReadHostBatch(int count)
    {
        var batch = new float[count * (long)Units * _height * _width];
        Spill.ReadExactly(MemoryMarshal.AsBytes(batch.AsSpan()));
        return batch;
    }

    /// <summary>The next <paramref name="count"/> images' raw activations from the spill, on the CPU.</summary>
    public Tensor ReadBatch(int count)
    {
        var batch = empty([count, Units, _height, _width], ScalarType.Float32);
        Spill.ReadExactly(batch.bytes);
        return batch;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _histograms?.Dispose();
        Spill.Dispose();
    }

    static IEnumerable<(long[] Positions, int Height, int Width)> GroupByMaskSize((int Height, int Width)[] masks) =>
        masks.Select((m, i) => (Mask: m, Index: (long)i))
            .GroupBy(e => e.Mask)
            .Select(g => (g.Select(e => e.Index).ToArray(), g.Key.Height, g.Key.Width));
}
