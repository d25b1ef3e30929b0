using System.Collections.Concurrent;
using System.Runtime.Intrinsics;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// How bilinear resampling (<see cref="MaskUpsampling"/>) maps an h × w map onto a mask: consecutive output
/// rows that blend the same two source rows form a row segment, likewise for columns, and a cell (a row
/// segment × a column segment) is a rectangle of mask pixels that are all blends of the same ≤ 2 × 2 source
/// values. So every value in a cell lies between the smallest and largest of its sources (up to float32
/// rounding: <see cref="Margin"/>), and dissection decides most cells from those bounds alone: a cell
/// wholly under a threshold has no "on" pixel, one wholly above has only "on" pixels. A 7 × 7 map on a
/// 112 × 112 mask has 49 cells of up to 16 × 16 pixels: the bounds cost 49 comparisons, the pixels 12,544
/// blends. <see cref="Values"/> computes a cell's pixels with exactly the operations of
/// <see cref="MaskUpsampling.Resample"/>, so they are the same floats.
/// </summary>
internal sealed class CellGrid
{
    static readonly ConcurrentDictionary<(int, int, int, int), CellGrid> Grids = new();

    /// <summary>Output positions [Start, End) that blend source samples Source0 and Source1 (equal at the last sample).</summary>
    public readonly record struct Segment(int Source0, int Source1, int Start, int End)
    {
        public int Length => End - Start;
    }

    readonly MaskUpsampling.Axis _x, _y;

    CellGrid(int height, int width, int maskHeight, int maskWidth)
    {
        Height = height;
        Width = width;
        MaskHeight = maskHeight;
        MaskWidth = maskWidth;
        _y = MaskUpsampling.Axis.For(height, maskHeight);
        _x = MaskUpsampling.Axis.For(width, maskWidth);
        Rows = Segments(_y);
        Columns = Segments(_x);
        TallestCell = Rows.Max(r => r.Length);
        WidestCell = Columns.Max(c => c.Length);
        CellPixels = [.. Enumerable.Range(0, Count).Select(c => PixelsOf(c / Columns.Length, c % Columns.Length))];
    }

    public static CellGrid For(int height, int width, int maskHeight, int maskWidth) =>
        Grids.GetOrAdd((height, width, maskHeight, maskWidth), k => new CellGrid(k.Item1, k.Item2, k.Item3, k.Item4));

    public int Height { get; }
    public int Width { get; }
    public int MaskHeight { get; }
    public int MaskWidth { get; }
    public Segment[] Rows { get; }
    public Segment[] Columns { get; }
    public int Count => Rows.Length * Columns.Length;
    public int TallestCell { get; }
    public int WidestCell { get; }
    public int MaskPixels => MaskHeight * MaskWidth;

    /// <summary>The most a resampled value can stray outside its sources' range by rounding: 2^-20 of their magnitude (≥ 4 ulps).</summary>
    public static double Margin(float lo, float hi) => Math.Max(Math.Abs(lo), Math.Abs(hi)) * (1.0 / (1 << 20));

    static Segment[] Segments(MaskUpsampling.Axis axis)
    {
        var segments = new List<Segment>();
        int start = 0;
        for (int o = 1; o <= axis.Index0.Length; o++)
            if (o == axis.Index0.Length || axis.Index0[o] != axis.Index0[start] || axis.Index1[o] != axis.Index1[start])
            {
                segments.Add(new Segment(axis.Index0[start], axis.Index1[start], start, o));
                start = o;
            }
        return [.. segments];
    }

    /// <summary>
    /// Each cell's smallest and largest source value, row-major over (row segment, column segment);
    /// <paramref name="zero"/>[cell] is true when all its sources are +0 (its pixels are exactly +0).
    /// </summary>
    public void Bounds(ReadOnlySpan<float> map, Span<float> lo, Span<float> hi, Span<bool> zero)
    {
        int columns = Columns.Length;
        for (int r = 0; r < Rows.Length; r++)
        {
            var a = map.Slice(Rows[r].Source0 * Width, Width);
            var b = map.Slice(Rows[r].Source1 * Width, Width);
            for (int c = 0; c < columns; c++)
            {
                int p = Columns[c].Source0, q = Columns[c].Source1;
                float v0 = a[p], v1 = a[q], v2 = b[p], v3 = b[q];
                int cell = r * columns + c;
                lo[cell] = MathF.Min(MathF.Min(v0, v1), MathF.Min(v2, v3));
                hi[cell] = MathF.Max(MathF.Max(v0, v1), MathF.Max(v2, v3));
                zero[cell] = (BitConverter.SingleToInt32Bits(v0) | BitConverter.SingleToInt32Bits(v1)
                    | BitConverter.SingleToInt32Bits(v2) | BitConverter.SingleToInt32Bits(v3)) == 0;
            }
        }
    }

    /// <summary>Pixels of cell (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public int PixelsOf(int row, int column) => Rows[row].Length * Columns[column].Length;

    /// <summary>Pixels of each cell, row-major.</summary>
    public int[] CellPixels { get; }

    /// <summary>
    /// The cell's resampled values, row by row (its width × its height), as <see cref="MaskUpsampling.Resample"/>
    /// computes them. <paramref name="across"/> is scratch of at least 2 × the cell's width.
    /// </summary>
    public void Values(ReadOnlySpan<float> map, int row, int column, Span<float> across, Span<float> values)
    {
        int width = Columns[column].Length;
        var a = across[..width];
        var b = across.Slice(width, width);
        Blend(map, row, column, a, b);
        for (int y = Rows[row].Start, i = 0; y < Rows[row].End; y++, i += width)
            Row(y, a, b, values.Slice(i, width));
    }

    /// <summary>
    /// The cell's two source rows blended along x over the cell's columns (<paramref name="a"/>: Source0's,
    /// <paramref name="b"/>: Source1's), as <see cref="MaskUpsampling.Resample"/>'s first step.
    /// </summary>
    public void Blend(ReadOnlySpan<float> map, int row, int column, Span<float> a, Span<float> b)
    {
        var cols = Columns[column];
        Across(map.Slice(Rows[row].Source0 * Width, Width), cols, a);
        Across(map.Slice(Rows[row].Source1 * Width, Width), cols, b);
    }

    /// <summary>Mask row <paramref name="y"/>'s values over the cell's columns, from <see cref="Blend"/>'s rows: Resample's second step.</summary>
    public void Row(int y, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> values)
    {
        if (MaskHeight == Height)
        {
            a.CopyTo(values); // Resample keeps the x-blended rows as they are
            return;
        }
        float wa = _y.Weight0[y], wb = _y.Weight1[y];
        int i = 0, n = a.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(wa);
            var vb = Vector256.Create(wb);
            for (; i + 8 <= n; i += 8)
                (Vector256.Create(a.Slice(i, 8)) * va + Vector256.Create(b.Slice(i, 8)) * vb).CopyTo(values.Slice(i, 8));
        }
        for (; i < n; i++) values[i] = wa * a[i] + wb * b[i];
    }

    void Across(ReadOnlySpan<float> source, Segment cols, Span<float> target)
    {
        if (MaskWidth == Width)
        {
            source.Slice(cols.Start, cols.Length).CopyTo(target); // Resample copies rows it need not blend
            return;
        }
        for (int x = cols.Start, i = 0; x < cols.End; x++, i++)
            target[i] = _x.Weight0[x] * source[_x.Index0[x]] + _x.Weight1[x] * source[_x.Index1[x]];
    }
}
