using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Demo;

namespace UnitScope.Engine.Tests.Demo;

/// <summary>
/// Dissection finds what training put into the demo model: trained on the probe set's scenes, its
/// units detect the probe set's planted concepts (colours early, objects later) far above chance,
/// and the same network with its initial weights has far fewer such units. Trains a smaller demo
/// model than the main job (fewer images) to keep the test near a minute on two cores.
/// </summary>
public class DemoModelDissectionTests : IClassFixture<DemoModelDissectionTests.Trained>
{
    public sealed class Trained : IDisposable
    {
        readonly string _cache = Path.Combine(Path.GetTempPath(), $"unitscope-demo-test-{Guid.NewGuid():N}");
        public readonly IReadOnlyList<LayerDissection> TrainedLayers, UntrainedLayers;
        public readonly double ValidationAccuracy;
        static readonly string[] Layers = ["features.2", "features.13", "features.27"];

        public Trained()
        {
            var probe = ProbeSet.EnsureBuiltIn(_cache, new ProbeSetOptions { Count = 900 });
            var training = new DemoTrainingOptions();
            double accuracy = double.NaN;
            string trained = DemoModel.EnsureTrained(probe, _cache, training,
                new SyncProgress<TrainingProgress>(p => accuracy = p.ValidationAccuracy ?? accuracy));
            ValidationAccuracy = accuracy;
            string untrained = DemoModel.EnsureUntrained(probe, _cache, training);
            TrainedLayers = Dissect(trained, probe);
            UntrainedLayers = Dissect(untrained, probe);
        }

        static IReadOnlyList<LayerDissection> Dissect(string checkpoint, ISegmentationDataset probe)
        {
            using var model = ModelSession.Load(checkpoint, DemoModel.ModelOptionsFor(probe, "cpu"));
            DemoModel.DissectedLayers(model).Should().Contain(Layers);
            return Dissector.Run(model, probe, Layers, new DissectionOptions(), null, CancellationToken.None);
        }

        public void Dispose() => Directory.Delete(_cache, recursive: true);
    }

    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    readonly Trained _run;
    public DemoModelDissectionTests(Trained run) => _run = run;

    static int Labelled(IEnumerable<LayerDissection> layers) => layers.Sum(l => l.LabelledUnits);
    static int Count(LayerDissection layer, params string[] categories) =>
        categories.Sum(c => layer.LabelledByCategory.GetValueOrDefault(c));

    [Fact]
    public void The_demo_model_learns_the_scenes() =>
        _run.ValidationAccuracy.Should().BeGreaterThan(0.8, "six balanced scenes: chance is 1/6");

    [Fact]
    public void Its_best_units_match_planted_concepts_far_above_chance()
    {
        // A unit's mask covers the top 0.5% of its activations; a mask placed without regard to a
        // concept has an expected IoU with it below that fraction, whatever the concept's size.
        double chanceBound = new DissectionOptions().Quantile;
        var last = _run.TrainedLayers[^1];
        var best = last.Units.Where(u => u.Label is not null).Max(u => u.Label!.Iou);
        best.Should().BeGreaterThan(15 * chanceBound);
        last.Units.Count(u => u.Label is { Iou: > 0.06 }).Should().BeGreaterThanOrEqualTo(5);
    }

    [Fact]
    public void Early_layers_hold_colour_and_texture_units_later_layers_object_and_part_units()
    {
        var first = _run.TrainedLayers[0];
        var last = _run.TrainedLayers[^1];
        Count(first, "object", "part").Should().Be(0, "the first conv block sees 3×3 patches: no objects");
        Count(first, "color", "material", "texture").Should().BeGreaterThan(0);
        Count(last, "object", "part").Should().BeGreaterThan(Count(first, "object", "part") + 5);
        Count(last, "object", "part").Should().BeGreaterThan(Count(last, "color"));
    }

    [Fact]
    public void A_randomly_initialised_copy_has_far_fewer_labelled_units()
    {
        Labelled(_run.UntrainedLayers).Should().BeLessThan(Labelled(_run.TrainedLayers) / 2);
        Count(_run.UntrainedLayers[^1], "object", "part").Should().BeLessThan(Count(_run.TrainedLayers[^1], "object", "part") / 3);
    }
}
