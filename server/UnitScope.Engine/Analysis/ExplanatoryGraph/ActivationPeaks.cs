namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>
/// One activation peak of one filter on one image: its position (the centroid of its basin, cells counted by their
/// centres, in shares of the map's width and height, so layers of different resolutions share one frame), its value
/// (the local maximum's), and its basin's energy (the positive activation of the cells nearest to it, within
/// <see cref="ActivationPeaks.Radius"/>).
/// </summary>
public readonly record struct Peak(float X, float Y, float Value, float Basin);

/// <summary>A filter's peaks on every image of a set, and its positive activation in all (for "how much is explained").</summary>
public sealed class FilterPeaks(int images)
{
    public Peak[][] PerImage { get; } = new Peak[images][];
    /// <summary>Per image, the filter's positive activation summed over its map.</summary>
    public double[] Energy { get; } = new double[images];
}

/// <summary>
/// Finds the activation peaks of a filter's map: the positive local maxima (at least every neighbour in the 3×3
/// window), strongest first, each at least <see cref="Radius"/> + 1 cells (Chebyshev) from a stronger one kept, at
/// most k of them. Only these numbers leave a map, so a run holds images × filters × k peaks, never the maps.
/// </summary>
public static class ActivationPeaks
{
    /// <summary>The part region's radius in cells: a tenth of the map's larger side, at least 1 (28 → 3, 14 → 2, 7 → 1).</summary>
    public static int Radius(int height, int width) => Math.Max(1, (int)Math.Ceiling(Math.Max(height, width) / 10.0));

    /// <summary>The peaks of one map (<paramref name="map"/>: row-major, <paramref name="height"/> × <paramref name="width"/>)
    /// and its positive activation; a cell's positive value counts towards the basin of the nearest kept peak within
    /// the radius (the first found on ties).</summary>
    public static Peak[] Find(ReadOnlySpan<float> map, int height, int width, int k, out double energy)
    {
        int radius = Radius(height, width);
        var candidates = new List<(float Value, int Cell)>();
        energy = 0;
        for (int row = 0; row < height; row++)
            for (int col = 0; col < width; col++)
            {
                float value = map[row * width + col];
                if (!(value > 0)) continue; // also skips NaN
                energy += value;
                if (IsLocalMax(map, height, width, row, col, value))
                    candidates.Add((value, row * width + col));
            }
        // Strongest first; ties in row-major order, so the result never depends on the sort's stability.
        candidates.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : a.Cell.CompareTo(b.Cell));
        var kept = new List<(int Row, int Col, float Value)>();
        foreach (var (value, cell) in candidates)
        {
            if (kept.Count == k) break;
            int row = cell / width, col = cell % width;
            if (kept.All(p => Math.Max(Math.Abs(p.Row - row), Math.Abs(p.Col - col)) > radius))
                kept.Add((row, col, value));
        }
        var basins = new double[kept.Count];
        var sumRow = new double[kept.Count];
        var sumCol = new double[kept.Count];
        if (kept.Count > 0)
            for (int row = 0; row < height; row++)
                for (int col = 0; col < width; col++)
                {
                    float value = map[row * width + col];
                    if (!(value > 0)) continue;
                    int nearest = -1, best = int.MaxValue;
                    for (int p = 0; p < kept.Count; p++)
                    {
                        int d = Math.Max(Math.Abs(kept[p].Row - row), Math.Abs(kept[p].Col - col));
                        if (d <= radius && d < best) { best = d; nearest = p; }
                    }
                    if (nearest < 0) continue;
                    basins[nearest] += value; sumRow[nearest] += value * row; sumCol[nearest] += value * col;
                }
        // A peak's position is its basin's centroid (weighted by activation): the middle of a plateau, between cells
        // where a part straddles two, instead of the first cell found.
        return [.. kept.Select((p, i) => new Peak((float)((sumCol[i] / basins[i] + 0.5) / width), (float)((sumRow[i] / basins[i] + 0.5) / height),
            p.Value, (float)basins[i]))];
    }

    static bool IsLocalMax(ReadOnlySpan<float> map, int height, int width, int row, int col, float value)
    {
        for (int dr = -1; dr <= 1; dr++)
            for (int dc = -1; dc <= 1; dc++)
            {
                int r = row + dr, c = col + dc;
                if ((dr != 0 || dc != 0) && r >= 0 && r < height && c >= 0 && c < width && map[r * width + c] > value)
                    return false;
            }
        return true;
    }
}
