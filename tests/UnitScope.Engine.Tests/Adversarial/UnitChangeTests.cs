using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.Adversarial;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Tests.Adversarial;

/// <summary>
/// The unit changes of an attack against a brute-force count through <see cref="ModelSession.ComputeUnitMap"/> (one
/// forward pass per image and unit, the unit map the panels draw), and the overlap with a ranking against a count by hand.
/// </summary>
public sealed class UnitChangeTests : IDisposable
{
    readonly ModelSession _session = AttackReferenceTests.LoadModel();

    [Theory]
    [InlineData("conv3", 2)]
    [InlineData("relu", 3)]
    public void Changes_are_the_unit_maps_means_compared_image_by_image(string layer, int batchSize)
    {
        var random = new Random(4);
        var inputs = Enumerable.Range(0, 5).Select(i =>
        {
            var px = new byte[37 * 29 * 3];
            random.NextBytes(px);
            return new AttackInput($"image {i}", new RgbImage(37, 29, 3, px));
        }).ToList();
        var attack = AdversarialAttack.Run(_session, inputs, new AttackOptions { Method = AttackMethod.Pgd, Epsilon = 12 / 255.0, Steps = 3 });
        var result = UnitChanges.Measure(_session, layer, attack, batchSize);

        int units = _session.GetLayer(layer).Units;
        result.Units.Should().HaveCount(units);
        result.Images.Should().Be(5);
        foreach (var change in result.Units)
        {
            double clean = 0, attacked = 0, absolute = 0;
            foreach (var image in attack.Images)
            {
                double b = _session.ComputeUnitMap(image.Clean, layer, change.Unit).Values.Average(v => (double)v);
                double a = _session.ComputeUnitMap(image.Attacked, layer, change.Unit).Values.Average(v => (double)v);
                clean += b / 5;
                attacked += a / 5;
                absolute += Math.Abs(a - b) / 5;
            }
            change.CleanMean.Should().BeApproximately(clean, 1e-4 * Math.Max(1, Math.Abs(clean)), $"unit {change.Unit}'s clean mean");
            change.AttackedMean.Should().BeApproximately(attacked, 1e-4 * Math.Max(1, Math.Abs(attacked)), $"unit {change.Unit}'s attacked mean");
            change.MeanAbsoluteChange.Should().BeApproximately(absolute, 1e-4 * Math.Max(1, absolute), $"unit {change.Unit}'s change");
            change.Change.Should().BeApproximately(change.AttackedMean - change.CleanMean, 1e-9);
        }
        result.Units.Select(u => u.MeanAbsoluteChange).Should().BeInDescendingOrder();
        result.Units[0].MeanAbsoluteChange.Should().BeGreaterThan(0);
    }

    [Fact]
    public void The_overlap_is_the_units_both_top_lists_hold()
    {
        var changes = new UnitChangeResult("L", 3, [.. new[] { 4, 1, 7, 0, 2, 3, 5, 6 }.Select((u, i) => new UnitChange(u, 0, 0, 0, 8 - i))]);
        var ranking = new UnitRanking("h", "d", "set", "L", 2, "beach", RankingMetric.Accuracy, 10, 1, 0,
            [.. new[] { 7, 3, 4, 6, 0, 1, 2, 5 }.Select(u => new RankedUnit(u, 0, 0))], [], 1);

        var overlap = UnitChanges.Overlap(changes, ranking, 3, "source", 5);

        overlap.ChangedUnits.Should().Equal(4, 1, 7);
        overlap.ImportantUnits.Should().Equal(7, 3, 4);
        overlap.Shared.Should().Equal(4, 7);
        overlap.ExpectedByChance.Should().Be(9.0 / 8);
        overlap.ClassName.Should().Be("beach");
        overlap.ClassIndex.Should().Be(5);
        UnitChanges.Overlap(changes, ranking, 100, "target", 5).K.Should().Be(8, "k is at most the layer's units");
    }

    public void Dispose() => _session.Dispose();
}
