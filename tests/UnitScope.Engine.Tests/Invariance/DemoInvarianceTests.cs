using System.Globalization;
using UnitScope.Engine.Analysis.Invariance;
using UnitScope.Engine.Tests.Demo;
using Xunit.Abstractions;

namespace UnitScope.Engine.Tests.Invariance;

/// <summary>
/// Invariance on the trained demo model. Asserted: what holds whatever the model learned (the identity gives distance 0
/// and the untransformed probability, batching changes nothing). Reported, not asserted: how much lower and upper
/// layers move (the paper's finding).
/// </summary>
[Collection(TrainedDemoCollection.Name)]
public class DemoInvarianceTests(TrainedDemo demo, ITestOutputHelper output)
{
    [Fact]
    public void The_identity_gives_distance_zero_and_batching_changes_nothing()
    {
        var images = new[] { 0, 7, 21 }.Select(i => demo.Probe.Load(i).Image).ToList();
        var options = new InvarianceOptions
        {
            Layers = ["features.2", TrainedDemo.LastBlock, "classifier.4"],
            Translations = [-9, 0, 5, 13],
            Rotations = [0, 33, 360],
            Scales = [0.75, 1, 1.3],
        };
        var result = InvarianceAnalysis.Run(demo.Session, images, options with { BatchSize = 32 });
        var small = InvarianceAnalysis.Run(demo.Session, images, options with { BatchSize = 2 });

        result.Sweeps.Select(s => s.Kind).Should().Equal(TransformKind.Translation, TransformKind.Rotation, TransformKind.Scale);
        foreach (var (sweep, other) in result.Sweeps.Zip(small.Sweeps))
            for (int i = 0; i < images.Count; i++)
            {
                for (int v = 0; v < sweep.Values.Count; v++)
                {
                    bool identity = ImageTransforms.IsIdentity(sweep.Kind, sweep.Values[v]);
                    for (int l = 0; l < result.Layers.Count; l++)
                    {
                        if (identity) sweep.Distances[i][l][v].Should().Be(0f, $"{sweep.Kind} {sweep.Values[v]} at {result.Layers[l]}");
                        else sweep.Distances[i][l][v].Should().BeGreaterThan(0f);
                        other.Distances[i][l][v].Should().Be(sweep.Distances[i][l][v]);
                    }
                    if (identity) sweep.Probabilities[i][v].Should().Be(result.BaseProbabilities[i]);
                    other.Probabilities[i][v].Should().Be(sweep.Probabilities[i][v]);
                }
            }
    }

    [Fact]
    public void Lower_and_upper_layer_curves_are_measured()
    {
        var images = Enumerable.Range(0, 5).Select(i => demo.Probe.Load(i * 37).Image).ToList();
        var result = InvarianceAnalysis.Run(demo.Session, images);
        output.WriteLine($"layers {string.Join(", ", result.Layers)}; relative distance ‖f(T x) − f(x)‖ / ‖f(x)‖, mean over {images.Count} images; p(true class) mean");
        foreach (var sweep in result.Sweeps)
        {
            output.WriteLine($"{sweep.Kind}: " + string.Join(" ", sweep.Values.Select(v => v.ToString("0.##", CultureInfo.InvariantCulture))));
            for (int l = 0; l < result.Layers.Count; l++)
                output.WriteLine($"  {result.Layers[l],-14}" + string.Join(" ", Enumerable.Range(0, sweep.Values.Count)
                    .Select(v => sweep.RelativeDistances.Average(image => image[l][v]).ToString("0.00", CultureInfo.InvariantCulture))));
            output.WriteLine($"  {"p(true)",-14}" + string.Join(" ", Enumerable.Range(0, sweep.Values.Count)
                .Select(v => sweep.Probabilities.Average(image => image[v]).ToString("0.00", CultureInfo.InvariantCulture))));
            foreach (var image in sweep.RelativeDistances)
                foreach (var layer in image)
                    layer.Should().OnlyContain(d => float.IsFinite(d) && d >= 0);
        }
    }
}
