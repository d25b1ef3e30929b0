using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Demo;
using UnitScope.Engine.Storage;
using UnitScope.Engine.Tests.Demo;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Evolution;

/// <summary>
/// Two checkpoints of the trained demo model compared: with itself (every unit its own match, correlation 1, CKA 1),
/// with a copy whose units of one convolution were permuted together with the next convolution's inputs (the same
/// function: the matching recovers the permutation exactly, CKA stays 1), and with the untrained network (CKA below 1).
/// </summary>
[Collection(TrainedDemoCollection.Name)]
public sealed class CheckpointComparisonTests(TrainedDemo demo) : IDisposable
{
    /// <summary>The demo's second convolution (8 → 16 units at 1/8 width), its BatchNorm, and the next convolution.</summary>
    const string Conv = "features.4", Norm = "features.5", NextConv = "features.8";

    readonly string _folder = Directory.CreateTempSubdirectory("unitscope-compare-test-").FullName;

    IImageSet Images(int count = 24) => ImageSet.Limit(ImageSet.FromBroden(demo.Probe), count);

    ModelSession Load(string path) => ModelSession.Load(path, DemoModel.ModelOptionsFor(demo.Probe, "cpu"));

    [Fact]
    public void A_checkpoint_matched_with_itself_pairs_every_unit_with_itself()
    {
        using var other = Load(demo.Checkpoint);
        var result = CheckpointComparison.Run(demo.Session, other, Images(), new ComparisonOptions { BatchSize = 7 });

        result.Layers.Select(l => l.Layer).Should().Equal(CheckpointComparison.DefaultLayers(demo.Session));
        result.Layers.Should().HaveCountGreaterThan(5);
        foreach (var layer in result.Layers)
        {
            layer.Cka.Should().BeApproximately(1, 1e-9, layer.Layer);
            layer.Matches.Should().HaveCount(layer.UnitsA);
            layer.MatchedToSameIndex.Should().Be(layer.UnitsA, layer.Layer);
            layer.Matches.Where(m => m.Correlation is not null).Should().OnlyContain(m => Math.Abs(m.Correlation!.Value - 1) < 1e-9, layer.Layer);
        }
        // Convolutions' outputs (before their ReLU) are never constant over these images: every pair has a correlation.
        result.Layers.Where(l => l.Kind.Contains("Conv", StringComparison.Ordinal)).SelectMany(l => l.Matches).Should().OnlyContain(m => m.Correlation != null);
    }

    [Fact]
    public void A_consistently_permuted_copy_computes_the_same_function_and_the_matching_recovers_the_permutation()
    {
        int[] permutation = PermutedCopy(demo.Checkpoint, out string copy);
        using var permuted = Load(copy);
        var images = Images();
        var before = OutputsOf(demo.Session, images);
        var after = OutputsOf(permuted, images);
        after.Should().HaveCount(before.Length);
        before.Zip(after, (x, y) => Math.Abs(x - y)).Max().Should().BeLessThan(1e-4f,
            "permuting a convolution's units together with the next convolution's inputs does not change the function");

        var result = CheckpointComparison.Run(demo.Session, permuted, images);
        foreach (var layer in result.Layers)
        {
            layer.Cka.Should().BeApproximately(1, 1e-6, layer.Layer);
            // Unit permutation[k] of the copy is unit k of the original... written as: copy's unit j = original's unit permutation[j].
            var expected = layer.Layer is Conv or Norm
                ? Enumerable.Range(0, layer.UnitsA).Select(a => Array.IndexOf(permutation, a)).ToArray()
                : Enumerable.Range(0, layer.UnitsA).ToArray();
            layer.Matches.Select(m => m.UnitB).Should().Equal(expected, layer.Layer);
            layer.Matches.Should().OnlyContain(m => m.Correlation != null && m.Correlation > 1 - 1e-5, layer.Layer);
        }
        result.Layers.Single(l => l.Layer == Conv).MatchedToSameIndex.Should().BeLessThan(permutation.Length / 2, "the permutation moves most units");
    }

    [Fact]
    public void The_untrained_network_has_moved_away_and_the_result_is_cached_under_both_hashes()
    {
        using var untrained = Load(demo.Untrained);
        var store = new AnalysisStore(_folder);
        var dissections = new DissectionStore(_folder);
        var images = Images(16);
        var first = StoredComparison.Compute(store, dissections, untrained, demo.Session, images, null, out bool cached);
        cached.Should().BeFalse();
        first.Layers.Should().OnlyContain(l => l.Cka < 0.999);
        first.RankedByChange.Should().HaveCount(first.Layers.Count);
        first.Layers.Single(l => l.Layer == first.RankedByChange[0]).Cka.Should().Be(first.Layers.Min(l => l.Cka));

        var again = StoredComparison.Compute(store, dissections, untrained, demo.Session, images, null, out cached);
        cached.Should().BeTrue();
        again.Layers.Select(l => l.Cka).Should().Equal(first.Layers.Select(l => l.Cka));
        // The other way round is another entry.
        StoredComparison.Compute(store, dissections, demo.Session, untrained, images, new ComparisonOptions { Layers = [Conv] }, out cached);
        cached.Should().BeFalse();
    }

    [Fact]
    public void Labels_are_attached_where_both_sides_were_dissected_on_one_probe_set()
    {
        using var untrained = Load(demo.Untrained);
        var dissections = new DissectionStore(_folder);
        var options = new DissectionOptions { MaxImages = 60 };
        var labels = new[] { untrained, demo.Session }.Select(model =>
        {
            var layer = Dissector.Run(model, demo.Probe, [Conv], options, null, CancellationToken.None).Single();
            dissections.Put(layer);
            return layer.Units.ToDictionary(u => u.Unit, u => u.Label?.Concept);
        }).ToList();
        var result = StoredComparison.Compute(new AnalysisStore(_folder), dissections, untrained, demo.Session, Images(16),
            new ComparisonOptions { Layers = [Conv, NextConv] }, out _);

        var conv = result.Layers.Single(l => l.Layer == Conv);
        conv.LabelsFrom.Should().Be(demo.Probe.ContentHash);
        conv.Matches.Should().OnlyContain(m => m.LabelA == labels[0][m.UnitA] && m.LabelB == labels[1][m.UnitB]);
        conv.Matches.Should().OnlyContain(m => m.LabelChanged == !string.Equals(m.LabelA, m.LabelB, StringComparison.Ordinal));
        conv.LabelChanges.Should().Be(conv.Matches.Count(m => m.LabelA != m.LabelB));
        var next = result.Layers.Single(l => l.Layer == NextConv);
        next.LabelsFrom.Should().BeNull("that layer was not dissected");
        next.Matches.Should().OnlyContain(m => m.LabelChanged == null);
    }

    [Fact]
    public void Layers_shaped_differently_and_unknown_layers_are_refused_by_name()
    {
        FluentActions.Invoking(() => CheckpointComparison.Run(demo.Session, demo.Session, Images(2), new ComparisonOptions { Layers = ["features.99"] }))
            .Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.UnknownLayer).WithMessage("*features.99*");
        FluentActions.Invoking(() => CheckpointComparison.Run(demo.Session, demo.Session, Images(2), new ComparisonOptions { BatchSize = 0 }))
            .Should().Throw<UnitScopeException>().WithMessage("*batch size*");
    }

    [Fact]
    public void Cancelling_stops_between_batches()
    {
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress<ComparisonProgress>(p => { if (p.Done > 0) cts.Cancel(); });
        FluentActions.Invoking(() => CheckpointComparison.Run(demo.Session, demo.Session, Images(), new ComparisonOptions { BatchSize = 4 }, progress, cts.Token))
            .Should().Throw<OperationCanceledException>();
    }

    /// <summary>Writes a copy of <paramref name="checkpoint"/> whose <see cref="Conv"/> units (with their BatchNorm) are
    /// permuted and <see cref="NextConv"/>'s inputs permuted the same way; returns the permutation (copy's unit j is the
    /// original's unit permutation[j]).</summary>
    int[] PermutedCopy(string checkpoint, out string copy)
    {
        using var state = CheckpointReader.Read(checkpoint);
        int units = (int)state[Conv + ".weight"].shape[0];
        state[NextConv + ".weight"].shape[1].Should().Be(units);
        var random = new Random(5);
        int[] permutation = [.. Enumerable.Range(0, units).OrderBy(_ => random.Next())];
        using var scope = NewDisposeScope();
        using var index = tensor(permutation.Select(p => (long)p).ToArray());
        var permuted = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, value) in state.Entries)
        {
            bool units0 = (name.StartsWith(Conv + ".", StringComparison.Ordinal) || name.StartsWith(Norm + ".", StringComparison.Ordinal)) && value.dim() >= 1;
            var changed = units0 ? value.index_select(0, index)
                : name == NextConv + ".weight" ? value.index_select(1, index)
                : value;
            permuted.Add(new(name, changed));
        }
        copy = Path.Combine(_folder, "permuted.safetensors");
        SafetensorsWriter.Write(copy, permuted);
        return permutation;
    }

    static float[] OutputsOf(ModelSession model, IImageSet images)
    {
        var loaded = Enumerable.Range(0, images.Count).Select(images.Load).ToList();
        return model.ForwardBatch(loaded, [], pass => pass.Output.cpu().data<float>().ToArray());
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
