using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Tests.Demo;

namespace UnitScope.Engine.Tests.Occlusion;

/// <summary>Occlusion on the trained demo model, where the probe set's masks say where each object is.</summary>
[Collection(TrainedDemoCollection.Name)]
public class DemoOcclusionTests(TrainedDemo demo)
{
    [Fact]
    public void The_scene_probability_drops_where_the_scene_defining_objects_are()
    {
        // What tells the demo model a street from a parking lot or a garden is the road with its cars
        // (houses and sky appear in gardens too): hiding them should cost "street" more than hiding
        // anything else. Measured per pixel: the mean probability when a square covering it is grey.
        var objects = demo.Probe.Concepts.Where(c => c.Category == "object" && c.Name is "road" or "car").Select(c => c.Id).ToHashSet();
        int street = EvaluationSet.ResolveClass(demo.Scenes, "street");
        var inside = new List<double>();
        var outside = new List<double>();
        foreach (int i in Enumerable.Range(0, demo.Scenes.Count).Where(i => demo.Scenes.ClassOf(i) == street).Take(8))
        {
            var sample = demo.Probe.Load(i); // every probe image has a scene: evaluation image i is probe image i
            sample.ImagePath.Should().Be(demo.Scenes.Load(i).ImagePath);
            var result = Occluder.Run(demo.Session, sample.Image, new OcclusionOptions { Size = 40, Stride = 8, TargetClass = street, BatchSize = 64 });
            result.BasePredictedClass.Should().Be(street);
            sample.MaskHeight.Should().Be(result.InputHeight);
            var probability = result.ToPixels(result.TargetProbability);
            var mask = new bool[probability.Length];
            foreach (var layer in sample.PixelLabels["object"])
                for (int p = 0; p < mask.Length; p++)
                    mask[p] |= objects.Contains(layer[p]);
            mask.Count(m => m).Should().BeInRange(mask.Length / 10, mask.Length * 9 / 10);
            inside.Add(result.BaseTargetProbability - Enumerable.Range(0, mask.Length).Where(p => mask[p]).Average(p => probability[p]));
            outside.Add(result.BaseTargetProbability - Enumerable.Range(0, mask.Length).Where(p => !mask[p]).Average(p => probability[p]));
        }
        string drops = string.Join(", ", inside.Zip(outside).Select(d => $"{d.First:0.000}/{d.Second:0.000}"));
        inside.Average().Should().BeGreaterThan(3 * outside.Average(), $"drops inside/outside the road and cars: {drops}");
        inside.Zip(outside).Count(d => d.First > d.Second).Should().BeGreaterThanOrEqualTo(7, drops);
    }
}
