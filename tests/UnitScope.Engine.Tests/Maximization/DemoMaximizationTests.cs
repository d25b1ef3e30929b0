using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Demo;
using Xunit.Abstractions;

namespace UnitScope.Engine.Tests.Maximization;

/// <summary>
/// Activation maximisation on the trained demo model: the optimised image excites its unit far more than noise or
/// the probe set's mean image do, and the hypothesis test on it ranks the unit first in its layer.
/// </summary>
[Collection(TrainedDemoCollection.Name)]
public class DemoMaximizationTests(TrainedDemo demo, ITestOutputHelper output)
{
    /// <summary>Units of an upper and a lower block's ReLU (features.27: 64 units of 7×7; features.6: 16 of 28×28).</summary>
    public static readonly TheoryData<string, int> Units = new()
    {
        { TrainedDemo.LastBlock, 5 },
        { TrainedDemo.LastBlock, 42 },
        { "features.6", 3 },
    };

    [Theory]
    [MemberData(nameof(Units))]
    public void The_optimised_image_excites_its_unit_far_more_than_noise_and_the_mean_image_and_ranks_it_first(string layer, int unit)
    {
        var result = ActivationMaximizer.Run(demo.Session, layer, unit, new MaximizationOptions { Seed = 1 });
        var spec = demo.Session.Input;
        result.Image.Width.Should().Be(spec.Width);
        result.Image.Height.Should().Be(spec.Height);
        result.RoundSizes[^1].Should().Equal(spec.Height, spec.Width);

        float noise = ActivationMaximizer.ObjectiveOn(demo.Session, NoiseImage(spec.Width, spec.Height, 3), layer, unit, MaximizationObjective.Channel);
        float mean = ActivationMaximizer.ObjectiveOn(demo.Session, MeanProbeImage(), layer, unit, MaximizationObjective.Channel);
        var test = HypothesisTest.Run(demo.Session, result.Image, layer, unit);
        output.WriteLine($"{layer} unit {unit}: optimised {result.FinalActivation:G4}, noise {noise:G4}, mean probe image {mean:G4}; " +
            $"rounds {string.Join(" ", result.RoundActivations.Select(a => a.ToString("G3")))}; rank {test.Rank}, runner-up " +
            $"{test.MeanActivations.Where((_, u) => u != unit).Max():G4}");

        // Both controls are ReLU outputs (≥ 0); the floor keeps the factor meaningful when a control is all but zero.
        float floor = 0.05f * result.FinalActivation;
        result.FinalActivation.Should().BeGreaterThan(10 * Math.Max(noise, floor));
        result.FinalActivation.Should().BeGreaterThan(10 * Math.Max(mean, floor));
        result.FinalActivation.Should().BeGreaterThan(result.RoundActivations[0], "later rounds improve on the first");
        test.Rank.Should().Be(1);
        test.StrongestUnit.Should().Be(unit);
        test.UnitActivation.Should().BeApproximately(result.FinalActivation, 1e-4f * Math.Max(1, result.FinalActivation));
    }

    static RgbImage NoiseImage(int width, int height, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[width * height * 3];
        random.NextBytes(pixels);
        return new RgbImage(width, height, 3, pixels);
    }

    /// <summary>The pixel-wise mean of every probe image, rounded to bytes.</summary>
    RgbImage MeanProbeImage()
    {
        var first = demo.Probe.Load(0).Image;
        var sum = new long[first.Pixels.Length];
        for (int i = 0; i < demo.Probe.Count; i++)
        {
            var pixels = demo.Probe.Load(i).Image.Pixels;
            for (int p = 0; p < sum.Length; p++) sum[p] += pixels[p];
        }
        return first with { Pixels = [.. sum.Select(s => (byte)Math.Round((double)s / demo.Probe.Count))] };
    }
}
