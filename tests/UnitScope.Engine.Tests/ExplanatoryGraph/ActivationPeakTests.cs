using UnitScope.Engine.Analysis.ExplanatoryGraph;

namespace UnitScope.Engine.Tests.ExplanatoryGraph;

/// <summary>Peaks of one map against a brute force: every positive cell that is a 3×3 local maximum, greedily kept
/// strongest first when farther than the radius from every stronger one kept, basins by nearest kept peak, and
/// positions at the basins' centroids.</summary>
public class ActivationPeakTests
{
    [Theory]
    [InlineData(7, 9, 3, 1)]
    [InlineData(13, 11, 5, 2)]
    [InlineData(28, 23, 8, 3)]
    public void Peaks_and_basins_equal_a_brute_force(int height, int width, int k, int seed)
    {
        var random = new Random(seed);
        // Few distinct values: plateaus and ties everywhere; some negative and NaN cells.
        var map = Enumerable.Range(0, height * width).Select(_ => random.Next(12) == 0 ? float.NaN : random.Next(-3, 6) * 0.5f).ToArray();
        var peaks = ActivationPeaks.Find(map, height, width, k, out double energy);

        int radius = ActivationPeaks.Radius(height, width);
        float At(int r, int c) => map[r * width + c];
        var cells = Enumerable.Range(0, height * width).Select(i => (Row: i / width, Col: i % width)).ToList();
        var maxima = cells.Where(p => At(p.Row, p.Col) > 0 && cells.All(q =>
            Math.Max(Math.Abs(q.Row - p.Row), Math.Abs(q.Col - p.Col)) != 1 || !(At(q.Row, q.Col) > At(p.Row, p.Col))))
            .OrderByDescending(p => At(p.Row, p.Col)).ThenBy(p => p.Row * width + p.Col).ToList();
        var kept = new List<(int Row, int Col)>();
        foreach (var p in maxima)
            if (kept.Count < k && kept.All(q => Math.Max(Math.Abs(q.Row - p.Row), Math.Abs(q.Col - p.Col)) > radius))
                kept.Add(p);
        peaks.Select(p => p.Value).Should().Equal(kept.Select(p => At(p.Row, p.Col)));

        energy.Should().BeApproximately(map.Where(v => v > 0).Sum(v => (double)v), 1e-4);
        for (int n = 0; n < kept.Count; n++)
        {
            var basin = cells.Where(c => At(c.Row, c.Col) > 0).Where(c =>
            {
                var distances = kept.Select(q => Math.Max(Math.Abs(q.Row - c.Row), Math.Abs(q.Col - c.Col))).ToList();
                int best = distances.Min();
                return best <= radius && distances.IndexOf(best) == n;
            }).ToList();
            double mass = basin.Sum(c => (double)At(c.Row, c.Col));
            ((double)peaks[n].Basin).Should().BeApproximately(mass, 1e-4, $"peak {n}'s basin");
            ((double)peaks[n].X).Should().BeApproximately((basin.Sum(c => At(c.Row, c.Col) * (double)c.Col) / mass + 0.5) / width, 1e-5, $"peak {n}'s centroid");
            ((double)peaks[n].Y).Should().BeApproximately((basin.Sum(c => At(c.Row, c.Col) * (double)c.Row) / mass + 0.5) / height, 1e-5, $"peak {n}'s centroid");
        }
    }

    [Fact]
    public void A_map_without_positive_values_has_no_peaks()
    {
        ActivationPeaks.Find(new float[] { 0, -1, -2, 0, float.NaN, -3 }, 2, 3, 4, out double energy).Should().BeEmpty();
        energy.Should().Be(0);
    }
}
