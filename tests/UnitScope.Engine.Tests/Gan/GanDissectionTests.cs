using TorchSharp;
using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Gan;

/// <summary>
/// GAN dissection against a brute force written from the definition with other tools: the generator run here on the
/// same seeded latents, each unit's map upsampled with torch's own <c>interpolate</c>, its threshold by
/// <c>torch.quantile</c> over every sample and pixel, and IoU counted pixel by pixel over the rule segmenter's labels,
/// conditioned on the samples that have a label of the concept's category. Odd sizes: 37 samples in batches of 10,
/// layers of 20 units at 4×4 and 12 at 8×8, a 16×16 image.
/// </summary>
[Collection(GanCollection.Name)]
public class GanDissectionTests
{
    static readonly string Generator = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "gan", "dcgan_odd.pth");

    [Theory]
    [InlineData("main.2", 0.05)]
    [InlineData("main.5", 0.02)]
    public void Unit_thresholds_and_ious_equal_the_brute_force(string layer, double quantile)
    {
        using var generator = ModelSession.Load(Generator, new ModelOptions { Device = "cpu" });
        var segmenter = new RuleSegmenter();
        var options = new GanDissectionOptions { Samples = 37, Seed = 5, BatchSize = 10, Quantile = quantile, UnitsPerConcept = 100 };

        var result = GanDissector.Run(generator, segmenter, layer, options);

        var (thresholds, iou) = BruteForce(generator, segmenter, layer, options, [.. result.Dissection.Units.Select(u => u.Threshold)]);
        result.Dissection.ImageCount.Should().Be(37);
        for (int u = 0; u < thresholds.Length; u++)
            result.Dissection.Units[u].Threshold.Should().BeApproximately((float)thresholds[u], 1e-5f * Math.Max(1f, Math.Abs((float)thresholds[u])), $"unit {u}'s threshold");
        iou.Cast<double>().Should().Contain(v => v > 0.05, "the case must have overlaps to compare");
        foreach (var concept in result.ConceptUnits)
            for (int u = 0; u < thresholds.Length; u++)
            {
                double engine = concept.Units.FirstOrDefault(r => r.Unit == u)?.Iou ?? 0;
                engine.Should().BeApproximately(iou[u, concept.ConceptId], 1e-9, $"IoU of unit {u} with {concept.Concept}");
            }
        // The ranking is by IoU, best first; the labels are the best concept above the IoU threshold.
        foreach (var concept in result.ConceptUnits)
            concept.Units.Select(r => r.Iou).Should().BeInDescendingOrder();
        for (int u = 0; u < thresholds.Length; u++)
        {
            var best = Enumerable.Range(1, 3).MaxBy(c => iou[u, c]);
            var label = result.Dissection.Units[u].Label;
            if (iou[u, best] > options.IouThreshold) label!.ConceptId.Should().Be(best);
            else label.Should().BeNull();
        }
        result.Dissection.LabelledByCategory.Values.Sum().Should().Be(result.Dissection.LabelledUnits);
    }

    [Fact]
    public void The_same_seed_gives_the_same_result_and_another_seed_other_samples()
    {
        using var generator = ModelSession.Load(Generator, new ModelOptions { Device = "cpu" });
        var options = new GanDissectionOptions { Samples = 12, Seed = 3, BatchSize = 5 };
        var a = GanDissector.Run(generator, new RuleSegmenter(), "main.5", options);
        var b = GanDissector.Run(generator, new RuleSegmenter(), "main.5", options with { BatchSize = 7 });
        var c = GanDissector.Run(generator, new RuleSegmenter(), "main.5", options with { Seed = 4 });
        a.Dissection.Units.Select(u => u.Threshold).Should().Equal(b.Dissection.Units.Select(u => u.Threshold), "batching changes nothing");
        a.Dissection.Units.Select(u => u.Threshold).Should().NotEqual(c.Dissection.Units.Select(u => u.Threshold));
    }

    [Fact]
    public void Bad_options_and_layers_are_refused_by_name()
    {
        using var generator = ModelSession.Load(Generator, new ModelOptions { Device = "cpu" });
        var run = (string layer, GanDissectionOptions o) => () => GanDissector.Run(generator, new RuleSegmenter(), layer, o);
        run("main.5", new GanDissectionOptions { Samples = 0 }).Should().Throw<UnitScopeException>().Which.Message.Should().Contain("--samples");
        run("main.9", new GanDissectionOptions { Samples = 4 }).Should().Throw<UnitScopeException>().Which.Kind.Should().Be(EngineErrorKind.UnknownLayer);
        run("main.5", new GanDissectionOptions { Samples = 4, Quantile = 2 }).Should().Throw<UnitScopeException>().Which.Message.Should().Contain("Quantile");
    }

    /// <summary>Per unit the (1 − q) quantile of its upsampled maps over all samples, and IoU [unit, concept id] of the maps above the engine's thresholds.</summary>
    static (double[] Thresholds, double[,] Iou) BruteForce(ModelSession generator, RuleSegmenter segmenter, string layer, GanDissectionOptions options,
        float[] engineThresholds)
    {
        using var scope = NewDisposeScope();
        using var random = new Generator((ulong)options.Seed);
        var z = randn([options.Samples, generator.LatentSize, 1, 1], generator: random);
        var (images, maps) = generator.ForwardBatch(z, [layer], pass =>
            (pass.Output.add(1).mul(0.5).clamp(0, 1).MoveToOuterDisposeScope(), pass.Activations[layer].clone().MoveToOuterDisposeScope()));
        // The engine hands the segmenter images rounded to bytes only for pictures; it segments the float images.
        var labels = segmenter.Segment(images);
        long height = images.shape[2], width = images.shape[3];
        var upsampled = nn.functional.interpolate(maps, [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
        int units = (int)maps.shape[1], n = options.Samples;
        var thresholds = new double[units];
        var iou = new double[units, 4];
        var tone = labels["tone"].data<long>().ToArray();
        var hue = labels["hue"].data<long>().ToArray();
        int pixels = (int)(height * width);
        bool HasAny(long[] map, int sample) => map.Skip(sample * pixels).Take(pixels).Any(v => v != 0);
        for (int u = 0; u < units; u++)
        {
            var values = upsampled[.., u].flatten();
            thresholds[u] = quantile(values.to(float64), 1 - options.Quantile).item<double>();
            // Masks with the engine's thresholds (compared with torch.quantile's above), so the counts compare exactly.
            float engineThreshold = engineThresholds[u];
            var on = values.data<float>().ToArray().Select(v => v > engineThreshold).ToArray();
            foreach (var (category, map, ids) in new[] { ("tone", tone, new[] { 1, 2 }), ("hue", hue, new[] { 3 }) })
                foreach (int id in ids)
                {
                    long inter = 0, labelArea = 0, maskInCategory = 0;
                    for (int s = 0; s < n; s++)
                    {
                        bool conditioned = HasAny(map, s);
                        for (int p = s * pixels; p < (s + 1) * pixels; p++)
                        {
                            bool labelled = map[p] == id;
                            if (labelled) labelArea++;
                            if (on[p] && labelled) inter++;
                            if (on[p] && conditioned) maskInCategory++;
                        }
                    }
                    long union = maskInCategory + labelArea - inter;
                    iou[u, id] = union == 0 ? 0 : (double)inter / union;
                }
        }
        return (thresholds, iou);
    }
}
