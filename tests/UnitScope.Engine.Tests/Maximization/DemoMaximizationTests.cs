using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Demo;
using Xunit.Abstractions;

namespace UnitScope.Engine.Tests.Maximization;

/// <summary>
/// Activation maximisation on the trained demo model with the seed's recipe (12 rounds of 20 steps): the optimised
/// image excites its unit far more than the noise it started from, than full-range noise and than the probe set's mean
/// image, and the hypothesis test on it ranks the unit first in its layer. Units 2 and 3 of the last block: in this
/// small network some units are outranked on their own image by broader ones the same image drives harder (unit 0 of
/// features.13 ranked 4th, of features.27 9th, when measured; see the report), so the ranking claim is asserted on
/// units that stand out, and every figure is printed.
/// </summary>
[Collection(TrainedDemoCollection.Name)]
public class DemoMaximizationTests(TrainedDemo demo, ITestOutputHelper output)
{
    [Fact]
    public void The_optimised_image_excites_its_unit_far_above_noise_and_the_mean_image_and_ranks_it_first()
    {
        var options = new MaximizationOptions { Seed = 1 };
        var spec = demo.Session.Input;
        var start = ActivationMaximizer.StartImage(spec, options);
        var mean = MeanProbeImage();
        var noise = NoiseImage(spec.Width, spec.Height, 3);
        const string layer = TrainedDemo.LastBlock;
        foreach (int unit in (int[])[2, 3])
        {
            var result = ActivationMaximizer.Run(demo.Session, layer, unit, options);
            var onResult = HypothesisTest.Run(demo.Session, result.Image, layer, unit);
            var onStart = HypothesisTest.Run(demo.Session, start, layer, unit);
            var onMean = HypothesisTest.Run(demo.Session, mean, layer, unit);
            var onNoise = HypothesisTest.Run(demo.Session, noise, layer, unit);
            output.WriteLine($"{layer} unit {unit}: optimised {result.FinalActivation:G4} (rank {onResult.Rank}; rounds " +
                $"{string.Join(" ", result.RoundActivations.Select(a => a.ToString("G3")))}), start {onStart.UnitActivation:G3} " +
                $"(rank {onStart.Rank}), full-range noise {onNoise.UnitActivation:G3} (rank {onNoise.Rank}), mean probe image " +
                $"{onMean.UnitActivation:G3} (rank {onMean.Rank}); runner-up on its image " +
                $"{onResult.MeanActivations.Where((_, u) => u != unit).Max():G4}");

            result.Image.Width.Should().Be(spec.Width);
            result.RoundSizes[^1].Should().Equal(spec.Height, spec.Width);
            onResult.UnitActivation.Should().BeApproximately(result.FinalActivation, 1e-4f * Math.Max(1, result.FinalActivation));
            // Measured (seed 1): unit 2 3.70 against 0.093 (start), 0.325 (full-range noise), 0.021 (mean image); unit 3
            // 3.48 against 0.506, 1.57, 0.124. Full-range noise drives unit 3 fairly hard, hence its lower factor.
            result.FinalActivation.Should().BeGreaterThan(5 * onStart.UnitActivation, $"unit {unit}");
            result.FinalActivation.Should().BeGreaterThan(2 * onNoise.UnitActivation, $"unit {unit}");
            result.FinalActivation.Should().BeGreaterThan(10 * onMean.UnitActivation, $"unit {unit}");
            onResult.Rank.Should().Be(1, $"unit {unit}");
            onResult.StrongestUnit.Should().Be(unit);
        }
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
