using System.Buffers;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Streaming per-unit quantiles in memory bounded by units × bins, whatever the number of values:
/// one adaptive-range histogram per unit. On a CUDA device the bins are counted with tensor ops
/// (bincount, <see cref="Add"/>); on the CPU in managed code (<see cref="AddMaps"/> resamples and
/// counts raw maps in one go; libtorch's elementwise ops allocate a temporary per step and its
/// bincount is single-threaded), with floors and a hot bin that spare most values the binning.
///
/// <para><b>Method.</b> Unit u has <c>B</c> equal bins of width w_u starting at lo_u, plus its exact
/// running min and max. The first values seen set lo_u = min and w_u = (max − min) / B. When a later
/// batch falls outside [lo_u, lo_u + B·w_u], the grid is rebuilt to hold the new values and every
/// occupied bin: the width is multiplied by the smallest 2^k (k ≥ 0) with (B − 1)·w_u·2^k ≥ that
/// span, and lo_u moves by a whole number of new bins. Every old bin then lies inside exactly one new
/// bin, so the counts are merged exactly (no value is re-binned approximately). Since the occupied
/// bins reach at most one old bin past the data, the width never exceeds 2·(max_u − min_u)/(B − 3).</para>
///
/// <para><b>Floors</b> (CPU path). Only the top of each distribution matters, so once the counts are
/// large enough <see cref="RaiseFloors"/> moves everything below a conservative lower quantile (a
/// bin edge with between 1 − 8·Q and 1 − 2·Q of the values under it, for a top fraction Q) into one
/// exact count of values below the floor: later values under the floor are then counted with a
/// vectorised compare, not binned. Floors only rise, and stay put when the grid
/// changes (the bin holding a floor then only holds values above it, which keeps the bound). If the
/// final quantile falls below a unit's floor (the stream drifted down), <see cref="Quantiles"/> says
/// so and the caller counts that unit again without a floor.</para>
///
/// <para><b>Read-out.</b> For a fraction q, the quantile is the order statistic of 0-based rank
/// r = ⌈q·n⌉ − 1 (the smallest value v with #{a ≤ v} ≥ q·n; n values in all). The histogram
/// locates the bin holding rank r exactly, and the estimate is interpolated inside that bin (as if
/// its values were spread evenly), then clamped to [min_u, max_u].</para>
///
/// <para><b>Error bound.</b> The exact quantile and the estimate lie in the same bin, so
/// |t̂_u − t_u| ≤ w_u (the final bin width, <see cref="Quantiles"/> returns it per unit)
/// ≤ 2·(max_u − min_u)/(B − 3), up to float32 rounding when a value is assigned to a bin (a value
/// within about 2^-21·max(|min_u|, |max_u|) of a bin edge may be counted in the neighbouring bin:
/// bins are computed as x·(1/w) − lo/w in float32).
/// The bound is on the value, not the rank: it is tight where values are spread and loose for
/// heavy tails (a huge maximum widens every bin).</para>
/// </summary>
internal sealed class UnitHistograms : IDisposable
{
    public const int DefaultBins = 4096;

    readonly int _units;
    readonly int _bins;
    readonly Device _device;
    readonly double[] _lo;
    readonly double[] _width;
    readonly double[] _min;
    readonly double[] _max;
    readonly float[] _scale;  // 1/w_u
    readonly float[] _shift;  // −lo_u/w_u
    readonly long[]? _hostCounts; // [units * bins] on the CPU path
    readonly double[] _floor;     // per unit: values under it are counted in _below, not binned (−∞: none)
    readonly float[] _floorBin;   // _floor in bin coordinates, (floor − lo)/w, for the counting loop
    readonly long[] _below;
    readonly int[] _hot;          // per unit: its most populated bin at the last RaiseFloors, counted apart
    Tensor? _counts;          // [units * bins] int64 on the device, on the tensor path
    Tensor? _scaleT, _shiftT; // _scale, _shift on the device, on the tensor path

    /// <param name="tensorOps">Count with tensor ops even on the CPU (default: only on other devices).</param>
    public UnitHistograms(int units, Device device, int bins = DefaultBins, bool? tensorOps = null)
    {
        if (bins < 2) throw new ArgumentOutOfRangeException(nameof(bins));
        _units = units;
        _bins = bins;
        _device = device;
        _lo = new double[units];
        _width = new double[units];
        _min = Enumerable.Repeat(double.PositiveInfinity, units).ToArray();
        _max = Enumerable.Repeat(double.NegativeInfinity, units).ToArray();
        _scale = new float[units];
        _shift = new float[units];
        _floor = Enumerable.Repeat(double.NegativeInfinity, units).ToArray();
        _floorBin = Enumerable.Repeat(float.NegativeInfinity, units).ToArray();
        _below = new long[units];
        _hot = new int[units];
        if (tensorOps ?? device.type != TorchSharp.DeviceType.CPU)
            // It outlives any dispose scope the caller has open.
            _counts = zeros(units * (long)bins, ScalarType.Int64, device).DetachFromDisposeScope();
        else
            _hostCounts = new long[units * (long)bins];
    }

    public int Units => _units;
    public int Bins => _bins;
    /// <summary>How many counters the histograms hold: units × bins, whatever has been added.</summary>
    public long CountsLength => _hostCounts?.LongLength ?? _counts!.shape[0];
    /// <summary>Whether this counts in managed memory (<see cref="AddMaps"/> works) rather than with tensor ops.</summary>
    public bool OnHost => _hostCounts is not null;

    /// <summary>
    /// Widens the ranges so that they hold [<paramref name="min"/>[u], <paramref name="max"/>[u]]:
    /// call it before <see cref="Add"/> with (at least) the extremes of the values to come.
    /// </summary>
    public void Include(ReadOnlySpan<double> min, ReadOnlySpan<double> max)
    {
        bool changed = false;
        long[]? host = null;
        for (int u = 0; u < _units; u++)
        {
            double lo = Math.Min(min[u], _min[u]), hi = Math.Max(max[u], _max[u]);
            if (_width[u] == 0)
            {
                _min[u] = lo;
                _max[u] = hi;
                // A constant unit still needs a positive width; later values widen it.
                double span = Math.Max(hi - lo, Math.Max(Math.Max(Math.Abs(lo), Math.Abs(hi)) * 1e-6, 1e-12));
                _lo[u] = lo;
                _width[u] = span / _bins;
                changed = true;
                continue;
            }
            _min[u] = lo;
            _max[u] = hi;
            if (lo >= _lo[u] && hi <= _lo[u] + _bins * _width[u])
                continue;
            host ??= _hostCounts ?? _counts!.cpu().data<long>().ToArray();
            Regrid(u, lo, hi, host.AsSpan(u * _bins, _bins));
            changed = true;
        }
        if (host is not null && _counts is not null)
        {
            _counts.Dispose();
            _counts = tensor(host, ScalarType.Int64).to(_device).DetachFromDisposeScope();
        }
        if (changed)
        {
            for (int u = 0; u < _units; u++)
            {
                _scale[u] = (float)(1.0 / _width[u]);
                _shift[u] = (float)(-_lo[u] / _width[u]);
                _floorBin[u] = (float)((_floor[u] - _lo[u]) / _width[u]);
            }
            if (_counts is null) return;
            _scaleT?.Dispose();
            _shiftT?.Dispose();
            _scaleT = tensor(_scale).to(_device).DetachFromDisposeScope();
            _shiftT = tensor(_shift).to(_device).DetachFromDisposeScope();
        }
    }

    /// <summary>
    /// Counts <paramref name="values"/> [R, P] (float32, contiguous, on the device; overwritten on the
    /// tensor path, which uses it as scratch space): row r holds P values of unit
    /// <paramref name="rowUnits"/>[r]. Every value must lie in the range given to <see cref="Include"/>;
    /// values outside are counted in the end bins.
    /// </summary>
    public void Add(Tensor values, int[] rowUnits)
    {
        if (_width.Length > 0 && _width[0] == 0)
            throw new InvalidOperationException("Include the values' range before adding them.");
        // bin = ⌊(x − lo)/w⌋ = ⌊x·(1/w) − lo/w⌋ (float32), clamped to the unit's bins.
        if (_hostCounts is not null) AddOnHost(values, rowUnits);
        else AddWithTensors(values, rowUnits);
    }

    /// <summary>
    /// Counts <paramref name="count"/> values of <paramref name="unit"/> known to lie under its floor
    /// (e.g. a map whose largest value does), without seeing them.
    /// </summary>
    public void AddBelow(int unit, long count)
    {
        if (double.IsNegativeInfinity(_floor[unit]))
            throw new InvalidOperationException($"Unit {unit} has no floor.");
        _below[unit] += count;
    }

    /// <summary>Unit <paramref name="unit"/>'s floor (−∞ while it has none): values under it are only counted.</summary>
    public double Floor(int unit) => _floor[unit];

    void AddOnHost(Tensor values, int[] rowUnits)
    {
        if (!values.is_contiguous()) values = values.contiguous();
        int perRow = (int)values.shape[1], bins = _bins;
        var counts = _hostCounts!;
        var byUnit = rowUnits.Select((unit, row) => (unit, row)).GroupBy(e => e.unit, e => e.row).ToArray();
        // Unit by unit: no two threads touch the same counts. On half the cores: libtorch's OpenMP
        // threads keep spinning on the others for a while after each op, and competing with them costs
        // more than it gains.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount / 2) };
        Parallel.ForEach(byUnit, parallel, rows =>
        {
            var all = MemoryMarshal.Cast<byte, float>(values.bytes);
            int unit = rows.Key;
            var row = new RowCounter(_scale[unit], _shift[unit], _floorBin[unit], _hot[unit], bins);
            var unitCounts = counts.AsSpan(unit * bins, bins);
            // Four interleaved sub-histograms (bin·4 + lane): runs of one bin do not wait on one counter.
            var lanes = ArrayPool<int>.Shared.Rent(4 * bins);
            try
            {
                Array.Clear(lanes, 0, 4 * bins);
                foreach (int r in rows)
                    row.Count(all.Slice(r * perRow, perRow), lanes, unitCounts);
                _below[unit] += row.Below;
                row.Flush(lanes, unitCounts);
            }
            finally
            {
                ArrayPool<int>.Shared.Return(lanes);
            }
        });
    }

    static int Bin(float x, float scale, float shift, int bins)
    {
        float b = x * scale + shift;
        return b <= 0 ? 0 : b >= bins - 1 ? bins - 1 : (int)b;
    }

    /// <summary>
    /// Counts one unit's rows: values whose bin coordinate b = x·(1/w) − lo/w is under the floor are only
    /// counted (<see cref="Below"/>), so are those in the unit's most populated bin (<see cref="Hot"/>:
    /// a ReLU's zeros); the others are binned. 8 values at a time where the CPU has 256-bit vectors.
    /// </summary>
    struct RowCounter(float scale, float shift, float floor, int hot, int bins)
    {
        public long Below;
        public long Hot;
        /// <summary>The range of bins <see cref="Count"/> touched in the lanes (empty while MinBin > MaxBin).</summary>
        public int MinBin = int.MaxValue, MaxBin = -1;

        /// <summary><paramref name="count"/> copies of <paramref name="x"/> (a constant map).</summary>
        public void CountConstant(float x, long count, Span<long> counts)
        {
            float b = x * scale + shift;
            if (b < floor) Below += count;
            else counts[Bin(x, scale, shift, bins)] += count;
        }

        public void Count(ReadOnlySpan<float> row, int[] lanes, Span<long> counts)
        {
            if (row.IndexOfAnyExcept(row[0]) < 0)
            {
                CountConstant(row[0], row.Length, counts);
                return;
            }
            int i = 0, minBin = MinBin, maxBin = MaxBin;
            if (Vector256.IsHardwareAccelerated)
            {
                var vScale = Vector256.Create(scale);
                var vShift = Vector256.Create(shift);
                var vTop = Vector256.Create((float)(bins - 1));
                var vFloor = Vector256.Create(floor);
                var vHot = Vector256.Create((float)hot);
                var vHotEnd = Vector256.Create((float)(hot + 1));
                Span<int> k = stackalloc int[8];
                ref float start = ref MemoryMarshal.GetReference(row);
                for (; i + 8 <= row.Length; i += 8)
                {
                    // Same operations as Bin: multiply, add (not fused), then the tests, clamp, truncate.
                    var b = Vector256.LoadUnsafe(ref start, (nuint)i) * vScale + vShift;
                    uint under = Vector256.LessThan(b, vFloor).ExtractMostSignificantBits();
                    uint inHot = (Vector256.GreaterThanOrEqual(b, vHot) & Vector256.LessThan(b, vHotEnd)).ExtractMostSignificantBits() & ~under;
                    Below += System.Numerics.BitOperations.PopCount(under);
                    Hot += System.Numerics.BitOperations.PopCount(inHot);
                    uint rest = ~(under | inHot) & 0xFF;
                    if (rest == 0) continue;
                    Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(b, Vector256<float>.Zero), vTop)).CopyTo(k);
                    for (; rest != 0; rest &= rest - 1)
                    {
                        int j = System.Numerics.BitOperations.TrailingZeroCount(rest);
                        int bin = k[j];
                        lanes[4 * bin + (j & 3)]++;
                        if (bin < minBin) minBin = bin;
                        if (bin > maxBin) maxBin = bin;
                    }
                }
            }
            for (; i < row.Length; i++)
            {
                float b = row[i] * scale + shift;
                if (b < floor) Below++;
                else if (b >= hot && b < hot + 1) Hot++;
                else
                {
                    int bin = Bin(row[i], scale, shift, bins);
                    lanes[4 * bin + (i & 3)]++;
                    if (bin < minBin) minBin = bin;
                    if (bin > maxBin) maxBin = bin;
                }
            }
            MinBin = minBin;
            MaxBin = maxBin;
        }

        /// <summary>Adds the lanes into <paramref name="counts"/> (with the hot bin) and clears what was touched.</summary>
        public readonly void Flush(int[] lanes, Span<long> counts)
        {
            counts[hot] += Hot;
            for (int bin = MinBin; bin <= MaxBin; bin++)
            {
                counts[bin] += (long)lanes[4 * bin] + lanes[4 * bin + 1] + lanes[4 * bin + 2] + lanes[4 * bin + 3];
                lanes[4 * bin] = lanes[4 * bin + 1] = lanes[4 * bin + 2] = lanes[4 * bin + 3] = 0;
            }
        }
    }

    /// <summary>
    /// The CPU path without tensors: resamples (<see cref="MaskUpsampling.Resample"/>) and counts
    /// <paramref name="images"/> images' maps in managed code, on the calling thread.
    /// <paramref name="raw"/> is [images × units × h × w] (this histogram's units, in order);
    /// <paramref name="masks"/>[n] image n's mask size. A map whose largest value lies under its
    /// unit's floor is counted under it whole, without resampling (bilinear values are convex
    /// combinations of the raw ones).
    /// </summary>
    public void AddMaps(ReadOnlySpan<float> raw, int images, int height, int width, IReadOnlyList<(int Height, int Width)> masks)
    {
        if (_hostCounts is null) throw new InvalidOperationException("AddMaps counts on the host only.");
        int mapSize = height * width, largest = masks.Max(m => m.Height * m.Width), widest = masks.Max(m => m.Width);
        var output = ArrayPool<float>.Shared.Rent(largest);
        var scratch = ArrayPool<float>.Shared.Rent(height * widest);
        var lanes = ArrayPool<int>.Shared.Rent(4 * _bins);
        try
        {
            Array.Clear(lanes, 0, 4 * _bins);
            for (int u = 0; u < _units; u++)
            {
                var counts = _hostCounts.AsSpan(u * _bins, _bins);
                var counter = new RowCounter(_scale[u], _shift[u], _floorBin[u], _hot[u], _bins);
                double floor = _floor[u];
                float cut = double.IsNegativeInfinity(floor) ? float.NegativeInfinity : (float)(floor - Math.Abs(floor) * 1e-6);
                for (int n = 0; n < images; n++)
                {
                    var map = raw.Slice((n * _units + u) * mapSize, mapSize);
                    var (maskHeight, maskWidth) = masks[n];
                    int pixels = maskHeight * maskWidth;
                    float max = MaxOf(map);
                    if (max < cut)
                    {
                        counter.Below += pixels;
                        continue;
                    }
                    if (map.IndexOfAnyExcept(max) < 0)
                    {
                        counter.CountConstant(max, pixels, counts);
                        continue;
                    }
                    var values = output.AsSpan(0, pixels);
                    MaskUpsampling.Resample(map, height, width, maskHeight, maskWidth, scratch, values);
                    counter.Count(values, lanes, counts);
                }
                _below[u] += counter.Below;
                counter.Flush(lanes, counts);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(output);
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<int>.Shared.Return(lanes);
        }
    }

    static float MaxOf(ReadOnlySpan<float> values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values) if (v > max) max = v;
        return max;
    }

    void AddWithTensors(Tensor values, int[] units)
    {
        using var scope = NewDisposeScope();
        using TorchSharp.Scalar zero = Scalars.Of(0), top = Scalars.Of(_bins - 1), bins = Scalars.Of(_bins);
        var rowUnits = tensor(units.Select(u => (long)u).ToArray(), device: _device);
        var bin = values.mul_(_scaleT!.index_select(0, rowUnits).unsqueeze(1))
            .add_(_shiftT!.index_select(0, rowUnits).unsqueeze(1), Scalars.One)
            .clamp_(zero, top)
            .to(ScalarType.Int32)
            .add_(rowUnits.mul(bins).to(ScalarType.Int32).unsqueeze(1), Scalars.One)
            .reshape(-1);
        // bincount allocates units × bins each call: worth it only when the chunk is at least as large.
        if (bin.shape[0] >= _counts!.shape[0])
            _counts.add_(bin.bincount(null, _counts.shape[0]), Scalars.One);
        else
            _counts.index_add_(0, bin.to(ScalarType.Int64), ones(bin.shape[0], ScalarType.Int64, _device), Scalars.One);
    }

    /// <summary>The smallest and largest value unit <paramref name="unit"/> has seen.</summary>
    public (double Min, double Max) Extremes(int unit) => (_min[unit], _max[unit]);

    /// <summary>
    /// Raises each unit's floor (CPU path only; see the class comment), once the unit has at least
    /// 100/(1 − <paramref name="fraction"/>) values, to the first bin edge with at least a
    /// (1 − 8·(1 − fraction)) share of the values under it — or, when that edge has more than a
    /// (1 − 2·(1 − fraction)) share under it (a bin holding a large mass, e.g. a ReLU's zeros), to the
    /// last edge under that share.
    /// </summary>
    public void RaiseFloors(double fraction)
    {
        if (_hostCounts is null) return;
        double low = 1 - 8 * (1 - fraction), high = 1 - 2 * (1 - fraction);
        if (low <= 0.5) return;
        for (int u = 0; u < _units; u++)
        {
            var counts = _hostCounts.AsSpan(u * _bins, _bins);
            long n = _below[u];
            foreach (long c in counts) n += c;
            if (n < 100 / (1 - fraction)) continue;
            long lowCount = (long)Math.Ceiling(low * n), highCount = (long)Math.Floor(high * n);
            // edge e_j = lo + j·w has under(j) = below + Σ_{i<j} counts[i] values under it.
            long under = _below[u];
            int edge = 0;
            while (edge < _bins && under < lowCount && under + counts[edge] <= highCount) under += counts[edge++];
            double value = _lo[u] + edge * _width[u];
            if (edge > 0 && value > _floor[u])
            {
                counts[..edge].Clear();
                _below[u] = under;
                _floor[u] = value;
                _floorBin[u] = edge;
            }
            // The bin most values fall in (above the floor), counted without binning from now on.
            int hot = edge;
            for (int bin = edge + 1; bin < _bins; bin++)
                if (counts[bin] > counts[hot]) hot = bin;
            _hot[u] = hot;
        }
    }

    /// <summary>
    /// The <paramref name="fraction"/> quantile of each unit (e.g. 0.995 for the top 0.5 %), with its
    /// error bound (the bin width) — see the class comment. NaN for a unit that has seen nothing, or
    /// whose quantile fell under its floor (count it again without floors).
    /// </summary>
    public (float[] Thresholds, float[] Bounds) Quantiles(double fraction)
    {
        var counts = _hostCounts ?? _counts!.cpu().data<long>().ToArray();
        var thresholds = new float[_units];
        var bounds = new float[_units];
        for (int u = 0; u < _units; u++)
        {
            var unitCounts = counts.AsSpan(u * _bins, _bins);
            long n = _below[u];
            foreach (long c in unitCounts) n += c;
            long rank = Math.Clamp((long)Math.Ceiling(fraction * n) - 1, 0, n - 1);
            if (n == 0 || rank < _below[u])
            {
                // Nothing seen, or the quantile lies under the unit's floor: count it again.
                thresholds[u] = float.NaN;
                bounds[u] = float.NaN;
                continue;
            }
            long below = _below[u];
            int bin = 0;
            while (below + unitCounts[bin] <= rank) below += unitCounts[bin++];
            double inBin = (rank - below + 0.5) / unitCounts[bin];
            double estimate = _lo[u] + _width[u] * (bin + inBin);
            thresholds[u] = (float)Math.Clamp(estimate, _min[u], _max[u]);
            bounds[u] = (float)_width[u];
        }
        return (thresholds, bounds);
    }

    /// <summary>
    /// New range for unit <paramref name="u"/> that holds [lo, hi] and every occupied bin: the width
    /// times the smallest 2^k (k ≥ 0) that fits, the origin moved by a whole number M of new bins
    /// (either way), so old bin i falls wholly into new bin (i >> k) − M.
    /// </summary>
    void Regrid(int u, double lo, double hi, Span<long> counts)
    {
        double width = _width[u], oldLo = _lo[u];
        int first = counts.IndexOfAnyExcept(0L), last = counts.LastIndexOfAnyExcept(0L);
        double low = first < 0 ? lo : Math.Min(lo, oldLo + first * width);
        double high = last < 0 ? hi : Math.Max(hi, oldLo + (last + 1) * width);
        double span = high - low;
        int k = 0;
        while ((_bins - 1) * width * Math.Pow(2, k) < span) k++;
        double newWidth = width * Math.Pow(2, k);
        long shift = (long)Math.Floor((low - oldLo) / newWidth);
        double newLo = oldLo + shift * newWidth;

        var merged = new long[_bins];
        for (int i = 0; i < _bins; i++)
        {
            if (counts[i] == 0) continue;
            long target = (k >= 31 ? 0 : i >> k) - shift;
            merged[Math.Clamp(target, 0, _bins - 1)] += counts[i];
        }
        merged.CopyTo(counts);
        _lo[u] = newLo;
        _width[u] = newWidth;
    }

    public void Dispose()
    {
        _counts?.Dispose();
        _scaleT?.Dispose();
        _shiftT?.Dispose();
    }
}
