using System.Text.Json;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Evolution;

/// <summary>
/// Linear CKA and unit correlations, streamed in uneven batches, against numpy's (the HSIC form on Gram matrices and
/// np.corrcoef; tests/fixtures/evolution/make_cka_fixture.py), on odd shapes with constant units.
/// </summary>
public sealed class CrossCovarianceTests
{
    static readonly string Fixture = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "evolution", "cka_reference.json");

    sealed record Case(int N, int P, int Q, double[] X, double[] Y, double Cka, double?[] Correlations);
    sealed record Reference(IReadOnlyList<Case> Cases);

    static IReadOnlyList<Case> Cases() =>
        JsonSerializer.Deserialize<Reference>(File.ReadAllText(Fixture), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!.Cases;

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 17)]
    [InlineData(2, 1)]
    public void Cka_and_correlations_agree_with_numpy(int index, int batch)
    {
        var c = Cases()[index];
        using var scope = NewDisposeScope();
        // float32 activations, as a layer gives them (the fixture's values are float32 numbers).
        var x = tensor(c.X.Select(v => (float)v).ToArray(), [c.N, c.P]);
        var y = tensor(c.Y.Select(v => (float)v).ToArray(), [c.N, c.Q]);
        using var moments = new CrossCovariance(c.P, c.Q);
        for (int start = 0; start < c.N; start += batch)
        {
            int n = Math.Min(batch, c.N - start);
            moments.Add(x.narrow(0, start, n), y.narrow(0, start, n));
        }

        moments.Count.Should().Be(c.N);
        moments.Cka().Should().BeApproximately(c.Cka, 1e-6);
        var r = moments.Correlations();
        for (int i = 0; i < c.P; i++)
            for (int j = 0; j < c.Q; j++)
                if (c.Correlations[i * c.Q + j] is null) double.IsNaN(r[i, j]).Should().BeTrue($"unit ({i}, {j}) is constant");
                else r[i, j].Should().BeApproximately(c.Correlations[i * c.Q + j]!.Value, 1e-6, $"unit pair ({i}, {j})");
    }

    [Fact]
    public void Cka_of_a_representation_with_itself_rotated_and_scaled_is_one()
    {
        using var scope = NewDisposeScope();
        var x = rand([41, 6], generator: new TorchSharp.torch.Generator(7));
        var (q, _) = linalg.qr(randn([6, 6], ScalarType.Float32, generator: new TorchSharp.torch.Generator(8)));
        var y = x.matmul(q).mul(3.5f).add(2f);
        using var moments = new CrossCovariance(6, 6);
        moments.Add(x, y);
        moments.Cka().Should().BeApproximately(1, 1e-6);
    }
}
