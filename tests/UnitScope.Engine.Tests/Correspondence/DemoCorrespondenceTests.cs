using UnitScope.Engine.Analysis.Correspondence;
using UnitScope.Engine.Tests.Demo;
using Xunit.Abstractions;

namespace UnitScope.Engine.Tests.Correspondence;

/// <summary>Correspondence on the trained demo model, with boxes from the probe set's part masks.</summary>
[Collection(TrainedDemoCollection.Name)]
public class DemoCorrespondenceTests(TrainedDemo demo, ITestOutputHelper output)
{
    [Fact]
    public void The_same_box_on_identical_images_gives_zero()
    {
        var image = demo.Probe.Load(3).Image;
        var box = new Box(30, 41, 23, 17);
        var images = Enumerable.Range(0, 4).Select(i => new PartImage($"copy {i}", image, new Dictionary<string, Box> { ["part"] = box })).ToList();
        var result = CorrespondenceAnalysis.Run(demo.Session, images, new CorrespondenceOptions
        {
            Layers = ["features.6", TrainedDemo.LastBlock, "classifier.4"],
            RandomDraws = 2,
            BatchSize = 3,
        });
        var part = result.Parts.Should().ContainSingle().Subject;
        part.Layers.Should().HaveCount(3);
        foreach (var layer in part.Layers)
        {
            layer.Part.Should().Be(new Consistency(0, 0, 0), layer.Layer);
            layer.RandomDraws.Should().HaveCount(2);
        }
        part.Layers[0].RandomMean.Should().BeGreaterThan(0, "random boxes differ from image to image");
    }

    /// <summary>The parts whose boxes are tried: each as the bounding box of its pixels in images where it is small enough to be a part.</summary>
    static readonly string[] PartNames = ["wheel", "window", "head", "roof", "door", "sail"];

    [Fact]
    public void Real_parts_against_random_boxes_are_measured()
    {
        var concepts = demo.Probe.Concepts.Where(c => c.Category == "part").ToDictionary(c => c.Name, c => c.Id);
        var rows = new List<string>();
        int lower = 0, compared = 0;
        foreach (string name in PartNames.Where(concepts.ContainsKey))
        {
            var images = ImagesWithPart(concepts[name], 8);
            if (images.Count < 4) continue;
            var result = CorrespondenceAnalysis.Run(demo.Session, images, new CorrespondenceOptions { RandomDraws = 10, Seed = 5 });
            foreach (var layer in result.Parts[0].Layers)
            {
                rows.Add($"{name,-8} {layer.Layer,-14} Δ part {layer.Part.Mean:0.0000} ± {layer.Part.Std:0.0000}   random {layer.RandomMean:0.0000} ± {layer.RandomStd:0.0000}");
                compared++;
                if (layer.Part.Mean < layer.RandomMean) lower++;
            }
        }
        foreach (var row in rows) output.WriteLine(row);
        compared.Should().BeGreaterThan(0, "the probe set has parts in enough images");
        output.WriteLine($"part below random in {lower} of {compared} part × layer cells");
    }

    /// <summary>Up to <paramref name="count"/> probe images with a box around <paramref name="part"/> covering 1–25% of the image.</summary>
    List<PartImage> ImagesWithPart(int part, int count)
    {
        var found = new List<PartImage>();
        for (int i = 0; i < demo.Probe.Count && found.Count < count; i++)
        {
            var sample = demo.Probe.Load(i);
            if (!sample.PixelLabels.TryGetValue("part", out var maps)) continue;
            int w = sample.MaskWidth, h = sample.MaskHeight, x0 = w, y0 = h, x1 = -1, y1 = -1;
            foreach (var map in maps)
                for (int p = 0; p < map.Length; p++)
                    if (map[p] == part)
                    {
                        int x = p % w, y = p / w;
                        x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x); y1 = Math.Max(y1, y);
                    }
            if (x1 < 0) continue;
            double share = (double)(x1 - x0 + 1) * (y1 - y0 + 1) / (w * h);
            if (share is < 0.01 or > 0.25) continue;
            sample.Image.Width.Should().Be(w, "probe masks are at the image's size");
            found.Add(new PartImage(Path.GetFileName(sample.ImagePath), sample.Image,
                new Dictionary<string, Box> { ["part"] = new Box(x0, y0, x1 - x0 + 1, y1 - y0 + 1) }));
        }
        return found;
    }
}
