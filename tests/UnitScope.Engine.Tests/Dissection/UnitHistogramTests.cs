using TorchSharp;
using UnitScope.Engine.Analysis.Dissection;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// The streaming thresholds against exact quantiles (sorting every value): within the stated bound,
/// |t̂ − t| ≤ final bin width ≤ 2·(max − min)/(B − 3), on spread, heavy-tailed, mostly-zero, negative,
/// drifting and constant data.
/// </summary>
public class UnitHistogramTests
{
    public sealed record Distribution(string Name, Func<Random, int, double> Draw)
    {
        public override string ToString() => Name;
    }

    static double Gaussian(Random r) => Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble());

    public static readonly TheoryData<Distribution, double, int> Cases = new()
    {
        // Draw(random, batch): batch lets a distribution drift as the stream goes on.
        { new("normal", (r, _) => Gaussian(r)), 0.995, UnitHistograms.DefaultBins },
        { new("relu, 90% zeros", (r, _) => Math.Max(0, Gaussian(r) - 1.28)), 0.995, UnitHistograms.DefaultBins },
        { new("lognormal sigma 2 (heavy tail)", (r, _) => Math.Exp(2 * Gaussian(r))), 0.995, UnitHistograms.DefaultBins },
        { new("pareto alpha 1.1 (heavy tail)", (r, _) => Math.Pow(1 - r.NextDouble(), -1 / 1.1)), 0.99, UnitHistograms.DefaultBins },
        { new("negative only", (r, _) => -Math.Exp(Gaussian(r)) - 3), 0.995, UnitHistograms.DefaultBins },
        { new("range grows both ways", (r, b) => Gaussian(r) * (1 + b * b) + b), 0.995, UnitHistograms.DefaultBins },
        { new("range grows both ways, 16 bins", (r, b) => Gaussian(r) * (1 + b * b) - 3 * b), 0.9, 16 },
        { new("ties: small integers", (r, _) => r.Next(5)), 0.5, 64 },
        { new("far from zero", (r, _) => 1000 + Gaussian(r)), 0.995, UnitHistograms.DefaultBins },
        { new("constant", (_, _) => 0), 0.995, UnitHistograms.DefaultBins },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Thresholds_are_within_the_bound_of_exact_quantiles(Distribution distribution, double fraction, int bins)
    {
        const int units = 3, batches = 6, perBatch = 5000;
        var random = new Random(distribution.Name.Length * 7919 + bins);
        var all = Enumerable.Range(0, units).Select(_ => new List<double>()).ToArray();
        // Both ways of counting, on the same stream: managed with floors (the CPU's) and tensor ops (other
        // devices'). They bin alike, but where the quantile shares a bin with a floor they interpolate
        // from different counts inside that bin: both within the bound, not always equal.
        using var histograms = new UnitHistograms(units, CPU, bins);
        using var withTensors = new UnitHistograms(units, CPU, bins, tensorOps: true);

        for (int b = 0; b < batches; b++)
        {
            // Unit u scales the distribution by 10^u: each unit has its own range.
            var values = new float[units * perBatch];
            for (int u = 0; u < units; u++)
                for (int i = 0; i < perBatch; i++)
                    values[u * perBatch + i] = (float)(distribution.Draw(random, b) * Math.Pow(10, u));
            var min = new double[units];
            var max = new double[units];
            for (int u = 0; u < units; u++)
            {
                var row = values.AsSpan(u * perBatch, perBatch).ToArray();
                min[u] = row.Min();
                max[u] = row.Max();
                all[u].AddRange(row.Select(v => (double)v));
            }
            using var scope = NewDisposeScope();
            histograms.Include(min, max);
            histograms.Add(tensor(values, [units, perBatch]), [0, 1, 2]);
            histograms.RaiseFloors(fraction); // the CPU path's floors must not change the result
            withTensors.Include(min, max);
            withTensors.Add(tensor(values, [units, perBatch]), [0, 1, 2]);
        }

        foreach (var (thresholds, bounds) in new[] { histograms.Quantiles(fraction), withTensors.Quantiles(fraction) })
        for (int u = 0; u < units; u++)
        {
            double exact = ReferenceDissection.ExactQuantile(all[u], fraction);
            double lo = all[u].Min(), hi = all[u].Max(), magnitude = Math.Max(Math.Abs(lo), Math.Abs(hi));
            double rounding = magnitude * Math.Pow(2, -21);
            Math.Abs(thresholds[u] - exact).Should().BeLessThanOrEqualTo(bounds[u] + rounding,
                $"unit {u}: estimate {thresholds[u]}, exact {exact}, bound {bounds[u]}");
            if (hi > lo)
                ((double)bounds[u]).Should().BeLessThanOrEqualTo(2 * (hi - lo) / (bins - 3) * (1 + 1e-6), $"unit {u}'s bin width");
            else
                thresholds[u].Should().Be((float)exact, "a constant unit's threshold is its value");
        }
    }

    [Fact]
    public void A_quantile_that_falls_under_the_floor_is_reported_for_recounting()
    {
        const int perBatch = 5000;
        var random = new Random(3);
        using var histograms = new UnitHistograms(2, CPU, 256);
        for (int b = 0; b < 30; b++)
        {
            // Unit 0 is stationary; unit 1 is high in the first batch only (1/30 of its values), which
            // sets its floor (at the 60% quantile so far) far above its final 95% quantile.
            var values = new float[2 * perBatch];
            for (int i = 0; i < perBatch; i++)
            {
                values[i] = (float)Gaussian(random);
                values[perBatch + i] = (float)(Gaussian(random) + (b == 0 ? 100 : 0));
            }
            using var scope = NewDisposeScope();
            histograms.Include([values[..perBatch].Min(), values[perBatch..].Min()], [values[..perBatch].Max(), values[perBatch..].Max()]);
            histograms.Add(tensor(values, [2, perBatch]), [0, 1]);
            histograms.RaiseFloors(0.95);
        }

        var (thresholds, _) = histograms.Quantiles(0.95);

        float.IsNaN(thresholds[0]).Should().BeFalse();
        float.IsNaN(thresholds[1]).Should().BeTrue("its 95% quantile (≈ 1.8) lies under the floor set from the first batch (≈ 100)");
    }

    [Fact]
    public void Memory_does_not_grow_with_the_number_of_values()
    {
        using var histograms = new UnitHistograms(4, CPU, 256);
        var random = new Random(5);
        for (int b = 0; b < 50; b++)
        {
            using var scope = NewDisposeScope();
            var values = Enumerable.Range(0, 4 * 1000).Select(_ => (float)(Gaussian(random) * (b + 1))).ToArray();
            histograms.Include(Enumerable.Repeat((double)values.Min(), 4).ToArray(), Enumerable.Repeat((double)values.Max(), 4).ToArray());
            histograms.Add(tensor(values, [4, 1000]), [0, 1, 2, 3]);
        }
        histograms.Bins.Should().Be(256);
        histograms.CountsLength.Should().Be(4 * 256);
    }
}
