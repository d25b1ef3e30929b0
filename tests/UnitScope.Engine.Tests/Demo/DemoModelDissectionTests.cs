using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Demo;

namespace UnitScope.Engine.Tests.Demo;

/// <summary>
/// Dissection finds what training put into the demo model: trained on the probe set's scenes, its
/// units detect the probe set's planted concepts (colours early, objects later) far above chance,
/// and the same network with its initial weights has far fewer such units. Uses the shared demo
/// model trained on 900 probe images (<see cref="TrainedDemo"/>), dissected once for all tests here.
/// </summary>
[Collection(TrainedDemoCollection.Name)]
public class DemoModelDissectionTests(TrainedDemo demo)
{
    static readonly string[] Layers = ["features.2", "features.13", "features.27"];
    static readonly Lock Gate = new();
    static (TrainedDemo Demo, IReadOnlyList<LayerDissection> Trained, IReadOnlyList<LayerDissection> Untrained)? _dissected;

    (IReadOnlyList<LayerDissection> Trained, IReadOnlyList<LayerDissection> Untrained) Dissected()
    {
        lock (Gate)
        {
            if (_dissected is not { } done || !ReferenceEquals(done.Demo, demo))
                _dissected = done = (demo, Dissect(demo.Session), Dissect(demo.Untrained));
            return (done.Trained, done.Untrained);
        }
    }

    IReadOnlyList<LayerDissection> Dissect(string checkpoint)
    {
        using var model = ModelSession.Load(checkpoint, DemoModel.ModelOptionsFor(demo.Probe, "cpu"));
        return Dissect(model);
    }

    IReadOnlyList<LayerDissection> Dissect(ModelSession model)
    {
        DemoModel.DissectedLayers(model).Should().Contain(Layers);
        return Dissector.Run(model, demo.Probe, Layers, new DissectionOptions(), null, CancellationToken.None);
    }

    static int Labelled(IEnumerable<LayerDissection> layers) => layers.Sum(l => l.LabelledUnits);
    static int Count(LayerDissection layer, params string[] categories) =>
        categories.Sum(c => layer.LabelledByCategory.GetValueOrDefault(c));

    [Fact]
    public void The_demo_model_learns_the_scenes()
    {
        // The images training held out (the last 10%).
        int from = demo.Scenes.Count - (int)(demo.Scenes.Count * demo.Training.ValidationFraction);
        int correct = Enumerable.Range(from, demo.Scenes.Count - from)
            .Count(i => demo.Session.Predict(demo.Scenes.Load(i).Image, 1).Top[0].Label == demo.Scenes.ClassNames[demo.Scenes.ClassOf(i)]);
        ((double)correct / (demo.Scenes.Count - from)).Should().BeGreaterThan(0.8, "six balanced scenes: chance is 1/6");
    }

    [Fact]
    public void Its_best_units_match_planted_concepts_far_above_chance()
    {
        // A unit's mask covers the top 0.5% of its activations; a mask placed without regard to a
        // concept has an expected IoU with it below that fraction, whatever the concept's size.
        double chanceBound = new DissectionOptions().Quantile;
        var last = Dissected().Trained[^1];
        var best = last.Units.Where(u => u.Label is not null).Max(u => u.Label!.Iou);
        best.Should().BeGreaterThan(15 * chanceBound);
        last.Units.Count(u => u.Label is { Iou: > 0.06 }).Should().BeGreaterThanOrEqualTo(5);
    }

    [Fact]
    public void Early_layers_hold_colour_and_texture_units_later_layers_object_and_part_units()
    {
        var (trained, _) = Dissected();
        var first = trained[0];
        var last = trained[^1];
        Count(first, "object", "part").Should().Be(0, "the first conv block sees 3×3 patches: no objects");
        Count(first, "color", "material", "texture").Should().BeGreaterThan(0);
        Count(last, "object", "part").Should().BeGreaterThan(Count(first, "object", "part") + 5);
        Count(last, "object", "part").Should().BeGreaterThan(Count(last, "color"));
    }

    [Fact]
    public void A_randomly_initialised_copy_has_far_fewer_labelled_units()
    {
        var (trained, untrained) = Dissected();
        Labelled(untrained).Should().BeLessThan(Labelled(trained) / 2);
        Count(untrained[^1], "object", "part").Should().BeLessThan(Count(trained[^1], "object", "part") / 3);
    }
}
