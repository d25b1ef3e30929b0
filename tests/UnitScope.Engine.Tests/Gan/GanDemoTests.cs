using UnitScope.Engine.Analysis.Gan;

namespace UnitScope.Engine.Tests.Gan;

/// <summary>
/// The GAN demo end to end, with the issue's measurements: the segmenter's pixel accuracy and mean IoU on held-back
/// probe scenes; dissection of a generator layer finds concept units; ablating a concept's top units removes far more
/// of it than ablating as many random units (over 200 held-out samples); inserting it in a region raises its share
/// inside the region more than outside. Figures go to the test output.
/// </summary>
[Collection(TrainedGanDemoCollection.Name)]
public class GanDemoTests(TrainedGanDemo demo, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void The_segmenter_labels_held_back_scenes_well()
    {
        var q = demo.Quality;
        output.WriteLine($"segmenter on {q.Images} held-back scenes: pixel accuracy {q.OverallPixelAccuracy:P1}, mean IoU {q.OverallMeanIou:0.000}");
        foreach (var (category, accuracy) in q.PixelAccuracy)
            output.WriteLine($"  {category}: pixel accuracy {accuracy:P1}, mean IoU {q.MeanIou[category]:0.000}");
        q.Images.Should().Be(150);
        q.PixelAccuracy["object"].Should().BeGreaterThan(0.75);
        q.MeanIou["object"].Should().BeGreaterThan(0.3);
        q.OverallMeanIou.Should().BeGreaterThan(0.2);
    }

    [Fact]
    public void Dissecting_a_generator_layer_labels_units_with_the_concepts_they_draw()
    {
        var d = demo.Dissection;
        output.WriteLine($"{d.Layer}: {d.Dissection.LabelledUnits} of {d.Dissection.Units.Count} units labelled: " +
            string.Join(", ", d.Dissection.LabelledByCategory.Where(p => p.Value > 0).Select(p => $"{p.Value} {p.Key}")));
        foreach (var unit in d.Dissection.Units.Where(u => u.Label is not null))
            output.WriteLine($"  unit {unit.Unit}: {unit.Label!.Concept} ({unit.Label.Category}) IoU {unit.Label.Iou:0.000}");
        d.Dissection.Units.Should().HaveCount(32);
        d.Dissection.LabelledUnits.Should().BeGreaterThanOrEqualTo(4);
        d.Dissection.LabelledByCategory.Count(p => p.Value > 0).Should().BeGreaterThanOrEqualTo(2, "units draw concepts of several categories");
        d.ConceptUnits.Where(c => c.Category == "object").Should().Contain(c => c.Units.Count >= 4, "object concepts have units to edit");
    }

    [Fact]
    public void Ablating_a_concepts_top_units_removes_far_more_of_it_than_ablating_random_units()
    {
        var (concept, k) = AblatedConcept();
        var result = GanEditor.Ablate(demo.Generator, demo.Segmenter, demo.Dissection,
            new GanEditOptions { Concept = concept, Units = k, Samples = 200, RandomDraws = 5 });
        output.WriteLine($"{concept}, k = {k} of {demo.Dissection.Dissection.Units.Count}: area {result.AreaBefore:P2} intact, {result.AreaTopAblated:P2} with the top units ablated " +
            $"(−{result.TopDrop:P0}), {string.Join(", ", result.AreaRandomAblated.Select(a => a.ToString("P2")))} with random units (mean −{result.RandomDrop:P0})");
        result.AreaBefore.Should().BeGreaterThan(0.005, "the concept must be drawn to be removed");
        result.TopDrop.Should().BeGreaterThan(0.3);
        result.TopDrop.Should().BeGreaterThan(2 * result.RandomDrop);
        result.AreaRandomAblated.Should().OnlyContain(a => a > result.AreaTopAblated, "every random draw leaves more of the concept");
        result.RandomUnits.Should().OnlyContain(draw => !draw.Intersect(result.TopUnits).Any());
    }

    [Fact]
    public void Inserting_a_concept_in_a_region_raises_it_there_more_than_elsewhere()
    {
        var (concept, k) = AblatedConcept();
        var region = new ImageRegion(4, 4, 20, 20);
        var result = GanEditor.Insert(demo.Generator, demo.Segmenter, demo.Dissection,
            new GanEditOptions { Concept = concept, Units = k, Samples = 200, Region = region });
        output.WriteLine($"{concept}, k = {k}, region x 4..20 y 4..20 (layer cells {result.LayerRegion}): inside {result.InsideBefore:P2} → {result.InsideAfter:P2}, " +
            $"outside {result.OutsideBefore:P2} → {result.OutsideAfter:P2}; {result.SamplesGaining} of 200 samples gained it inside");
        result.LayerRegion.Should().Be(new ImageRegion(1, 1, 5, 5));
        result.InsideIncrease.Should().BeGreaterThan(0.05);
        result.InsideIncrease.Should().BeGreaterThan(2 * result.OutsideIncrease);
        result.SamplesGaining.Should().BeGreaterThan(100);
    }

    /// <summary>The object concept with the best top unit among those with at least 4 ranked units; k = 4.</summary>
    (string Concept, int K) AblatedConcept()
    {
        var best = demo.Dissection.ConceptUnits.Where(c => c.Category == "object" && c.Units.Count >= 4)
            .OrderByDescending(c => c.Units[0].Iou).First();
        return (best.Concept, 4);
    }
}
