namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Pass 1's share of each unit's threshold: a bracket around the exact quantile of the resampled
/// values, counted from the raw maps alone. Every resampled value lies between its cell's smallest and
/// largest source value (<see cref="CellGrid"/>), so the r-th smallest resampled value lies between
/// the r-th smallest cell minimum and the r-th smallest cell maximum, each cell counted once per pixel
/// it covers. Those two order statistics are located in histograms over the coarse key grid
/// (<see cref="FloatKeys.Coarse"/>: 1/8 of an octave per bin, exact boundaries, no range to adapt), a
/// few dozen additions per map instead of one per mask pixel; <see cref="ExactThresholds"/> narrows the
/// bracket over the spill. Memory: units × 2 × 4096 counters, whatever the number of images.
/// Histograms of two runs over disjoint images add up (<see cref="Add(ThresholdBrackets)"/>).
/// </summary>
internal sealed class ThresholdBrackets
{
    readonly int _units;
    readonly long[] _low;  // [unit × CoarseBins]: pixels counted at their cell's smallest source
    readonly long[] _high; // [unit × CoarseBins]: pixels counted at their cell's largest source

    public ThresholdBrackets(int units)
    {
        _units = units;
        _low = new long[units * (long)FloatKeys.CoarseBins];
        _high = new long[units * (long)FloatKeys.CoarseBins];
    }

    public int Units => _units;

    /// <summary>Mask pixels counted per unit so far (the same for every unit).</summary>
    public long Pixels { get; private set; }

    /// <summary>The two histograms, for a partial result (<see cref="Add(ThresholdBrackets)"/> is how they combine).</summary>
    public (long[] Low, long[] High) Counts => (_low, _high);

    /// <summary>Counts image <paramref name="maps"/> ([units × h × w], this layer's) on a mask of the grid's size.</summary>
    public void Add(ReadOnlySpan<float> maps, CellGrid grid)
    {
        int mapSize = grid.Height * grid.Width, cells = grid.Count;
        var lo = new float[cells];
        var hi = new float[cells];
        var zero = new bool[cells];
        var pixels = grid.CellPixels;
        for (int u = 0; u < _units; u++)
        {
            grid.Bounds(maps.Slice(u * mapSize, mapSize), lo, hi, zero);
            var low = _low.AsSpan(u * FloatKeys.CoarseBins, FloatKeys.CoarseBins);
            var high = _high.AsSpan(u * FloatKeys.CoarseBins, FloatKeys.CoarseBins);
            for (int cell = 0; cell < cells; cell++)
            {
                low[FloatKeys.Coarse(FloatKeys.Key(lo[cell]))] += pixels[cell];
                high[FloatKeys.Coarse(FloatKeys.Key(hi[cell]))] += pixels[cell];
            }
        }
        Pixels += grid.MaskPixels;
    }

    /// <summary>Adds another run's counts (over other images of the same layer).</summary>
    public void Add(ThresholdBrackets other)
    {
        if (other._units != _units) throw new ArgumentException($"{other._units} units, not {_units}.", nameof(other));
        Add(other._low, other._high, other.Pixels);
    }

    /// <summary>Adds counts read from a partial result.</summary>
    public void Add(long[] low, long[] high, long pixels)
    {
        if (low.Length != _low.Length || high.Length != _high.Length)
            throw new ArgumentException("The histograms are not this layer's size.");
        for (int i = 0; i < _low.Length; i++)
        {
            _low[i] += low[i];
            _high[i] += high[i];
        }
        Pixels += pixels;
    }

    /// <summary>
    /// Per unit, the key range [Low, High] holding the order statistic of 0-based rank
    /// <paramref name="rank"/> of its resampled values: from one coarse bin under the bin of the
    /// rank-th cell minimum to one over the bin of the rank-th cell maximum (the spare bins absorb
    /// float32 rounding of the blends, which can stray a few ulps outside their sources).
    /// </summary>
    public (long Low, long High)[] Brackets(long rank)
    {
        var brackets = new (long, long)[_units];
        for (int u = 0; u < _units; u++)
        {
            int low = BinOfRank(_low.AsSpan(u * FloatKeys.CoarseBins, FloatKeys.CoarseBins), rank);
            int high = BinOfRank(_high.AsSpan(u * FloatKeys.CoarseBins, FloatKeys.CoarseBins), rank);
            brackets[u] = (FloatKeys.CoarseStart(low - 1), FloatKeys.CoarseStart(high + 2) - 1);
        }
        return brackets;
    }

    static int BinOfRank(ReadOnlySpan<long> counts, long rank)
    {
        long seen = 0;
        for (int bin = 0; bin < counts.Length; bin++)
        {
            seen += counts[bin];
            if (seen > rank) return bin;
        }
        return counts.Length - 1;
    }
}
