using UnitScope.Engine.Analysis.Correspondence;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Correspondence;

/// <summary>Δ against the definition written out with loops: Σ over ordered pairs i ≠ j of the Hamming distance of the sign vectors.</summary>
public class DeltaTests
{
    [Theory]
    [InlineData(2, 7, 1)]
    [InlineData(5, 131, 2)]
    [InlineData(9, 1000, 3)]
    public void Delta_is_the_sum_of_hamming_distances_over_ordered_pairs(int images, int features, int seed)
    {
        var random = new Random(seed);
        var vectors = Enumerable.Range(0, images).Select(_ => Enumerable.Range(0, features).Select(_ => (sbyte)random.Next(-1, 2)).ToArray()).ToList();
        using var scope = NewDisposeScope();
        var result = CorrespondenceAnalysis.Delta([.. vectors.Select(v => tensor(v.Select(b => (long)b).ToArray()).to(ScalarType.Int8))]);

        double sum = 0;
        var shares = new List<double>();
        for (int i = 0; i < images; i++)
            for (int j = 0; j < images; j++)
            {
                if (i == j) continue;
                int h = Enumerable.Range(0, features).Count(k => vectors[i][k] != vectors[j][k]);
                sum += h;
                if (i < j) shares.Add((double)h / features);
            }
        result.Sum.Should().Be(sum);
        result.Mean.Should().BeApproximately(shares.Average(), 1e-12);
        double mean = shares.Average();
        double std = shares.Count < 2 ? 0 : Math.Sqrt(shares.Sum(v => (v - mean) * (v - mean)) / (shares.Count - 1));
        result.Std.Should().BeApproximately(std, 1e-12);
    }

    [Fact]
    public void Identical_sign_vectors_give_zero()
    {
        using var scope = NewDisposeScope();
        var v = tensor(new long[] { 1, -1, 0, 1, 1 }).to(ScalarType.Int8);
        CorrespondenceAnalysis.Delta([v, v.clone(), v.clone()]).Should().Be(new Consistency(0, 0, 0));
    }
}
