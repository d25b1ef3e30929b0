using System.Numerics;
using System.Runtime.Intrinsics;
using UnitScope.Engine.Runtime;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Each unit's threshold t_u exactly: the q quantile of its n resampled values (q = 1 − the top
/// fraction) as <c>torch.quantile</c> defines it, v_(r) + (h − r)·(v_(r+1) − v_(r)) with h = q·(n − 1),
/// r = ⌊h⌋ and v_(k) the k-th smallest value (0-based). The two order statistics are found by narrowing
/// pass 1's key brackets (<see cref="ThresholdBrackets"/>) in rounds over the spill: a round counts, per
/// unit and rank, the values under the bracket and those inside it in <see cref="Bins"/> bins of equal
/// key width; the bin holding the rank is the next bracket. Keys are consecutive floats
/// (<see cref="FloatKeys"/>), so when a bin is one key wide its float is the order statistic itself:
/// typically after two rounds. Only cells whose source range (<see cref="CellGrid"/>) meets a bracket are
/// resampled, a row at a time and compared 8 values at a time; the rest count whole from their bounds.
/// Memory: active units × 2 × <see cref="Bins"/> counters, whatever the number of images.
/// </summary>
internal static class ExactThresholds
{
    public const int Bins = 4096;

    /// <summary>h = q·(n − 1): where the q quantile falls among n sorted values (its integer part is the lower rank).</summary>
    public static double Position(double fraction, long n) => fraction * Math.Max(0, n - 1);

    /// <summary>The quantile from its two neighbouring order statistics, linearly (torch.quantile's default).</summary>
    public static float Interpolate(float lower, float upper, double position) =>
        (float)(lower + (position - Math.Floor(position)) * ((double)upper - lower));

    /// <summary>Thresholds of every unit; <paramref name="rounds"/>: passes over the spill it took.</summary>
    /// <param name="progress">Told (round, images done in it) after each chunk of images.</param>
    public static float[] Find(ActivationSpill spill, ThresholdBrackets brackets, double fraction, CancellationToken ct, out int rounds,
        Action<int, long>? progress = null)
    {
        long n = brackets.Pixels;
        double position = Position(fraction, n);
        long lower = (long)Math.Floor(position), upper = Math.Min(lower + 1, Math.Max(0, n - 1));
        var low = brackets.Brackets(lower);
        var high = brackets.Brackets(upper);
        var searches = Enumerable.Range(0, brackets.Units)
            .Select(u => new Search(new Target(lower, low[u].Low, low[u].High), new Target(upper, high[u].Low, high[u].High))).ToArray();
        rounds = 0;
        while (searches.Any(s => !s.Done))
        {
            rounds++;
            var active = Enumerable.Range(0, searches.Length).Where(u => !searches[u].Done).ToArray();
            foreach (int u in active) searches[u].Begin();
            int round = rounds;
            Count(spill, active, searches, ct, done => progress?.Invoke(round, done));
            foreach (int u in active) searches[u].Narrow();
        }
        return [.. searches.Select(s => Interpolate(s.Lower.Value, s.Upper.Value, position))];
    }

    static void Count(ActivationSpill spill, int[] active, Search[] searches, CancellationToken ct, Action<long> progress)
    {
        spill.Rewind();
        int chunk = spill.ChunkImages;
        var maps = new float[chunk * spill.ImageFloats];
        var masks = new (int, int)[chunk];
        long position = 0;
        for (int count; (count = spill.Read(maps, masks, ref position)) > 0;)
        {
            ct.ThrowIfCancellationRequested();
            Parallel.For(0, active.Length, ParallelWork.Options(ct), () => new CellScratch(), (i, _, scratch) =>
            {
                int u = active[i];
                for (int n = 0; n < count; n++)
                {
                    var grid = CellGrid.For(spill.Height, spill.Width, masks[n].Item1, masks[n].Item2);
                    searches[u].Add(grid, maps.AsSpan((n * spill.Units + u) * spill.MapSize, spill.MapSize), scratch);
                }
                return scratch;
            }, _ => { });
            progress(position);
        }
    }

    /// <summary>One unit's search for its two order statistics: one pass over a map serves both.</summary>
    sealed class Search(Target lower, Target upper)
    {
        public Target Lower { get; } = lower;
        public Target Upper { get; } = upper;
        public bool Done => Lower.Done && Upper.Done;

        public void Begin()
        {
            Lower.Begin();
            Upper.Begin();
        }

        public void Narrow()
        {
            Lower.Narrow();
            Upper.Narrow();
        }

        /// <summary>Counts one map's resampled values for both ranks; only cells that meet a bracket are resampled.</summary>
        public void Add(CellGrid grid, ReadOnlySpan<float> map, CellScratch s)
        {
            s.Fit(grid);
            grid.Bounds(map, s.Low, s.High, s.Zero);
            int columns = grid.Columns.Length;
            var pixels = grid.CellPixels;
            for (int cell = 0; cell < grid.Count; cell++)
            {
                float lo = s.Low[cell], hi = s.High[cell];
                double margin = CellGrid.Margin(lo, hi);
                bool lower = Lower.Straddles(lo, hi, margin, pixels[cell], s.Zero[cell]);
                bool upper = Upper.Straddles(lo, hi, margin, pixels[cell], s.Zero[cell]);
                if (!lower && !upper) continue;
                int row = cell / columns, column = cell % columns, width = grid.Columns[column].Length;
                var a = s.Across.AsSpan(0, width);
                var b = s.Across.AsSpan(width, width);
                var values = s.Values.AsSpan(0, width);
                grid.Blend(map, row, column, a, b);
                for (int y = grid.Rows[row].Start; y < grid.Rows[row].End; y++)
                {
                    grid.Row(y, a, b, values);
                    if (lower) Lower.CountRow(values);
                    if (upper) Upper.CountRow(values);
                }
            }
        }
    }

    /// <summary>One rank's bracket of keys [low, high], bins of <c>width</c> keys over it, and what lies under it.</summary>
    sealed class Target(long rank, long low, long high)
    {
        long _low = low, _high = high, _width, _below;
        long[] _bins = [];
        bool _everyKey;
        // The bracket as floats: [_bottom, _top] holds exactly the floats keyed _low…_high.
        float _bottom, _top;

        public bool Done { get; private set; }
        public float Value { get; private set; }

        public void Begin()
        {
            if (Done) return;
            _width = Math.Max(1, (_high - _low + Bins) / Bins); // ⌈(high − low + 1) / Bins⌉
            _below = 0;
            if (_bins.Length == 0) _bins = new long[Bins];
            else Array.Clear(_bins);
            _bottom = _low <= FloatKeys.Key(float.NegativeInfinity) ? float.NegativeInfinity : FloatKeys.Value(_low);
            _top = _high >= FloatKeys.Key(float.PositiveInfinity) ? float.PositiveInfinity : FloatKeys.Value(_high);
        }

        /// <summary>
        /// Whether a cell with sources in [<paramref name="lo"/>, <paramref name="hi"/>] must be resampled for
        /// this rank; if not, counts it whole (under the bracket, or, all +0, in its bin).
        /// </summary>
        public bool Straddles(float lo, float hi, double margin, int pixels, bool zero)
        {
            if (Done || lo - margin > _top) return false;
            if (hi + margin < _bottom) _below += pixels;
            else if (zero) Count(0, pixels);
            else return true;
            return false;
        }

        /// <summary>A row of values: those under the bracket counted 8 at a time, those in it binned one by one.</summary>
        public void CountRow(ReadOnlySpan<float> values)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var under = Vector256.Create(_bottom);
                var over = Vector256.Create(_top);
                for (; i + 8 <= values.Length; i += 8)
                {
                    var v = Vector256.Create(values.Slice(i, 8));
                    uint below = Vector256.LessThan(v, under).ExtractMostSignificantBits();
                    uint inside = ~(below | Vector256.GreaterThan(v, over).ExtractMostSignificantBits()) & 0xFF;
                    _below += BitOperations.PopCount(below);
                    for (; inside != 0; inside &= inside - 1)
                        Count(FloatKeys.Key(values[i + BitOperations.TrailingZeroCount(inside)]), 1);
                }
            }
            for (; i < values.Length; i++) Count(FloatKeys.Key(values[i]), 1);
        }

        void Count(int key, long pixels)
        {
            if (key < _low) _below += pixels;
            else if (key <= _high) _bins[(key - _low) / _width] += pixels;
        }

        /// <summary>The bin holding the rank becomes the bracket; one key wide, it is the order statistic.</summary>
        public void Narrow()
        {
            if (Done) return;
            long seen = _below;
            int bin = -1;
            if (rank >= seen)
                for (int b = 0; b < Bins; b++)
                {
                    if (seen + _bins[b] > rank) { bin = b; break; }
                    seen += _bins[b];
                }
            if (bin < 0)
            {
                // Not in the bracket: only if rounding strayed past pass 1's spare bins. Search every key once.
                if (_everyKey) throw new InvalidOperationException($"Rank {rank} is not among the {seen} values counted.");
                (_low, _high, _everyKey) = (int.MinValue, int.MaxValue, true);
                return;
            }
            long low = _low + bin * _width;
            (_low, _high) = (low, Math.Min(_high, low + _width - 1));
            if (_low < _high) return;
            Done = true;
            Value = FloatKeys.Value(_low);
            _bins = [];
        }
    }
}

/// <summary>Per-thread buffers for one map's cells: bounds, zero flags, and one cell's resampled values.</summary>
internal sealed class CellScratch
{
    public float[] Low = [], High = [], Across = [], Values = [];
    public bool[] Zero = [];

    public void Fit(CellGrid grid)
    {
        if (Low.Length < grid.Count)
        {
            Low = new float[grid.Count];
            High = new float[grid.Count];
            Zero = new bool[grid.Count];
        }
        if (Across.Length < 2 * grid.WidestCell) Across = new float[2 * grid.WidestCell];
        if (Values.Length < grid.WidestCell * grid.TallestCell) Values = new float[grid.WidestCell * grid.TallestCell];
    }
}
