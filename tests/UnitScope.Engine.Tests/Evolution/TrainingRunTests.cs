using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Demo;
using UnitScope.Engine.Storage;
using UnitScope.Engine.Tests.Demo;

namespace UnitScope.Engine.Tests.Evolution;

/// <summary>
/// The demo model's training run (a checkpoint after each epoch, <see cref="TrainedDemo.Run"/>) as a timeline: ordered by
/// the epoch in each checkpoint, identical files summarised once, concepts emerging (the near-random first checkpoint
/// has fewer labelled units than the last, and the counts change along the run), weights moving, a rerun from the cache.
/// </summary>
[Collection(TrainedDemoCollection.Name)]
public sealed class TrainingRunTests(TrainedDemo demo) : IDisposable
{
    static readonly string[] Layers = ["features.13", "features.27"];
    readonly string _folder = Directory.CreateTempSubdirectory("unitscope-evolve-test-").FullName;

    [Theory]
    [InlineData("epoch_12", 12L, null)]
    [InlineData("ckpt-step=3000", null, 3000L)]
    [InlineData("resnet18_ep3_step250", 3L, 250L)]
    [InlineData("model7", 7L, null)]
    [InlineData("final", null, null)]
    public void Epoch_and_step_come_from_the_name(string name, long? epoch, long? step) =>
        RunCheckpoints.FromName(name).Should().Be((epoch, step));

    [Fact]
    public void A_run_is_ordered_by_epoch_and_identical_files_are_summarised_once_with_concepts_emerging()
    {
        // Epochs 0, 1, 3 and 6 under names that sort otherwise, and a byte-identical copy of the last.
        var picked = new[] { (0, "c.safetensors"), (1, "a.safetensors"), (3, "d.safetensors"), (6, "b.safetensors") };
        foreach (var (epoch, name) in picked)
            File.Copy(demo.Run[epoch], Path.Combine(_folder, name));
        File.Copy(demo.Run[6], Path.Combine(_folder, "last-copy.safetensors"));

        var run = RunCheckpoints.Find(Path.Combine(_folder, "*.safetensors"));
        run.Select(c => c.Epoch).Should().Equal(0L, 1L, 3L, 6L, 6L);
        run.Select(c => Path.GetFileName(c.Path)).Should().Equal("c.safetensors", "a.safetensors", "d.safetensors", "b.safetensors", "last-copy.safetensors");

        var store = new AnalysisStore(_folder + "-cache");
        var dissection = new DissectionService(new DissectionStore(_folder + "-cache"));
        var images = ImageSet.Limit(ImageSet.FromBroden(demo.Probe), 40);
        var options = new EvolutionOptions { Layers = Layers, BatchSize = 13, Dissect = true, Dissection = new DissectionOptions { MaxImages = 240 } };
        ModelSession Load(string path) => ModelSession.Load(path, DemoModel.ModelOptionsFor(demo.Probe, "cpu"));
        var result = TrainingRun.Evolve(run, Load, images, options, store, dissection, demo.Probe);

        result.Checkpoints.Should().HaveCount(4);
        result.Checkpoints.Select(c => c.Epoch).Should().Equal(0L, 1L, 3L, 6L);
        result.Checkpoints[3].Paths.Select(Path.GetFileName).Should().Equal("b.safetensors", "last-copy.safetensors");
        result.Checkpoints.Should().OnlyContain(c => !c.Cached);

        int Labelled(CheckpointSnapshot c) => c.Layers.Sum(l => l.Labelled!.Value);
        Labelled(result.Checkpoints[0]).Should().BeLessThan(Labelled(result.Checkpoints[^1]), "training puts concepts into the units");
        result.Checkpoints.Select(Labelled).Distinct().Should().HaveCountGreaterThan(1, "the counts change along the run");
        foreach (var c in result.Checkpoints)
            foreach (var l in c.Layers)
            {
                l.LabelledByCategory!.Values.Sum().Should().Be(l.Labelled);
                // Each unit's best concept: the labelled ones are the units counted per category.
                l.UnitConcepts.Should().OnlyContain(u => u.Unit >= 0 && u.Unit < l.Units && u.Iou >= 0 && u.Iou <= 1);
                l.UnitConcepts!.Where(u => u.Labelled).GroupBy(u => u.Category).ToDictionary(g => g.Key, g => g.Count())
                    .Should().BeEquivalentTo(l.LabelledByCategory.Where(p => p.Value > 0).ToDictionary());
                l.DeadFraction.Should().BeInRange(0, 1);
                l.SaturatedFraction.Should().BeInRange(0, 1);
                l.WeightLayer.Should().NotBeNull();
                l.WeightNorm.Should().BePositive();
            }
        result.Checkpoints[0].Layers.Should().OnlyContain(l => l.WeightChange == null, "the first checkpoint has no previous one");
        result.Checkpoints.Skip(1).SelectMany(c => c.Layers).Should().OnlyContain(l => l.WeightChange > 0);
        result.Checkpoints[0].Layers[0].WeightLayer.Should().Be("features.11", "features.13 is the ReLU of the convolution features.11");

        var again = TrainingRun.Evolve(run, Load, images, options, store, dissection, demo.Probe);
        again.Checkpoints.Should().OnlyContain(c => c.Cached);
        again.Checkpoints.SelectMany(c => c.Layers).Should().BeEquivalentTo(result.Checkpoints.SelectMany(c => c.Layers));
    }

    [Fact]
    public void One_checkpoint_summarised_alone_is_the_entry_a_run_stores_and_finds()
    {
        var run = new[] { 1, 3, 5 }.Select(e => new RunCheckpoint(demo.Run[e], e, null)).ToList();
        var store = new AnalysisStore(_folder + "-cache");
        var images = ImageSet.Limit(ImageSet.FromBroden(demo.Probe), 11);
        var options = new EvolutionOptions { Layers = Layers, BatchSize = 4 };
        ModelSession Load(string path) => ModelSession.Load(path, DemoModel.ModelOptionsFor(demo.Probe, "cpu"));
        var input = demo.Session.Input;
        string Hash(int k) => UnitScope.Engine.Checkpoints.CheckpointReader.ComputeHash(run[k].Path);

        // Epoch 3 lands after epoch 1: summarised alone, in the background's way.
        TrainingRun.Stored(Hash(1), Hash(0), input, images, Layers, store).Should().BeNull();
        var alone = TrainingRun.Summarise(run[1], run[0], Load, images, options, store);
        alone.Cached.Should().BeFalse();
        alone.CheckpointHash.Should().Be(Hash(1));
        alone.Layers.Should().OnlyContain(l => l.WeightChange > 0, "epoch 3's weights differ from epoch 1's");
        TrainingRun.Stored(Hash(1), Hash(0), input, images, [" features.13", "features.27", "features.13"], store)!.Layers
            .Should().BeEquivalentTo(alone.Layers, "found by hash without loading, the layers named as a request names them");
        TrainingRun.Stored(Hash(1), null, input, images, Layers, store).Should().BeNull("the weight change depends on the previous checkpoint");

        // The whole run then finds epoch 3 stored and computes the same numbers for the others.
        var result = TrainingRun.Evolve(run, Load, images, options, store);
        result.Checkpoints.Select(c => c.Cached).Should().Equal(false, true, false);
        result.Checkpoints[1].Layers.Should().BeEquivalentTo(alone.Layers);
        var first = TrainingRun.Summarise(run[0], null, Load, images, options, store);
        first.Cached.Should().BeTrue();
        first.Layers.Should().OnlyContain(l => l.WeightChange == null);
    }

    [Fact]
    public void Statistics_match_a_direct_computation_on_the_same_images()
    {
        var images = ImageSet.Limit(ImageSet.FromBroden(demo.Probe), 9);
        var stats = ActivationStatistics.Measure(demo.Session, images, [TrainedDemo.LastBlock], batchSize: 4);
        var loaded = Enumerable.Range(0, images.Count).Select(images.Load).ToList();
        var values = demo.Session.ForwardBatch(loaded, [TrainedDemo.LastBlock], pass => pass.Activations[TrainedDemo.LastBlock].cpu().data<float>().ToArray());
        int units = demo.Session.GetLayer(TrainedDemo.LastBlock).Units, perUnit = values.Length / images.Count / units;
        var (u, mean, dead, saturated) = stats[0];
        u.Should().Be(units);
        mean.Should().BeApproximately(values.Average(v => (double)v), 1e-5);
        saturated.Should().BeApproximately((double)values.Count(v => v <= 0) / values.Length, 1e-12);
        int deadUnits = Enumerable.Range(0, units).Count(c =>
            Enumerable.Range(0, images.Count).All(i => values.Skip((i * units + c) * perUnit).Take(perUnit).All(v => v <= 0)));
        dead.Should().BeApproximately((double)deadUnits / units, 1e-12);
    }

    public void Dispose()
    {
        foreach (string folder in new[] { _folder, _folder + "-cache" })
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}
