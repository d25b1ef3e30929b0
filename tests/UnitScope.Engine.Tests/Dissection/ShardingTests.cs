using System.Text.Json;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Analysis.Dissection.Sharding;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// A dissection split by images (<see cref="DissectionShard"/>) and merged (<see cref="DissectionMerge"/>) against one
/// run over every image: the same result bit for bit (thresholds, IoUs, labels, top images and their masks), and every
/// way a partial folder can be wrong refused, naming the shard's file.
/// </summary>
public sealed class ShardingTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public sealed record Case(string Name, int Images, int BatchSize, (int, int)[] MaskSizes, (int Units, int Height, int Width)[] Layers,
        double Quantile, int? MaxImages = null)
    {
        public override string ToString() => Name;
    }

    public static readonly TheoryData<Case, int> Splits = new()
    {
        { new("two odd layers, odd masks, partial last batch", 29, 4, [(13, 9), (8, 8), (5, 7)], [(5, 6, 7), (3, 3, 4)], 0.05), 1 },
        { new("two odd layers, odd masks, partial last batch", 29, 4, [(13, 9), (8, 8), (5, 7)], [(5, 6, 7), (3, 3, 4)], 0.05), 3 },
        { new("two odd layers, odd masks, partial last batch", 29, 4, [(13, 9), (8, 8), (5, 7)], [(5, 6, 7), (3, 3, 4)], 0.05), 7 },
        { new("first images only, batch of three", 40, 3, [(12, 10)], [(7, 5, 3)], 0.02, MaxImages: 23), 7 },
        { new("one layer, masks the size of the maps", 21, 2, [(6, 6)], [(4, 6, 6)], 0.1), 3 },
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void Merging_the_shards_gives_one_runs_result_bit_for_bit(Case c, int shards)
    {
        var data = InMemoryProbeSet.Random(c.Images, c.Images, c.MaskSizes);
        var source = Planted(c.Layers, seed: c.Images);
        var options = new DissectionOptions { Quantile = c.Quantile, BatchSize = c.BatchSize, MaxImages = c.MaxImages, TopImages = 3 };
        string[] layers = [.. Enumerable.Range(0, c.Layers.Length).Select(i => $"layer{i}")];

        var one = Dissector.Run(source, data, layers, options, null, CancellationToken.None);
        var manifests = RunShards(source, data, layers, options, shards);
        var merged = DissectionMerge.Run(ShardSet.Open(_temp.Path), source.Identity, data, layers, options, null, CancellationToken.None);

        manifests.Select(m => (m.First, m.End)).Should().BeInAscendingOrder(r => r.First);
        manifests[0].First.Should().Be(0);
        manifests[^1].End.Should().Be(Math.Min(c.Images, c.MaxImages ?? int.MaxValue));
        manifests.Zip(manifests.Skip(1)).All(p => p.First.End == p.Second.First).Should().BeTrue("the shards tile the images");
        manifests.Should().OnlyContain(m => m.First % c.BatchSize == 0, "shards start at a batch boundary, so their batches are one run's");
        SameResults(merged, one);
    }

    /// <summary>The merge replays exactly the floats the model gave in each shard: with a real model the shards' forward passes are one run's batches.</summary>
    [Collection(ExactNumerics.Name)]
    public sealed class WithAModel : IDisposable
    {
        readonly TempFolder _temp = new();

        public void Dispose() => _temp.Dispose();

        [Fact]
        public void Three_shards_of_a_model_merge_to_one_runs_result_bit_for_bit()
        {
            using var model = ModelSession.Load(Models.ModelFixtures.Checkpoint("resnet18_small"), new ModelOptions { Device = "cpu" });
            var data = DissectorTests.WithNoiseImages(InMemoryProbeSet.Random(17, 23, [(24, 24), (12, 20), (9, 13)], imageSize: 48), 48, seed: 17);
            var options = new DissectionOptions { Quantile = 0.02, BatchSize = 5, TopImages = 4 };
            string[] layers = ["layer3", "layer4.1.conv2"];
            var source = new ModelActivationSource(model);

            var one = Dissector.Run(source, data, layers, options, null, CancellationToken.None);
            for (int i = 0; i < 3; i++)
                DissectionShard.Run(source, data, layers, options, new ShardSpec(i, 3), _temp.Path, null, CancellationToken.None);
            var merged = DissectionMerge.Run(ShardSet.Open(_temp.Path), model.CheckpointHash, data, layers, options, null, CancellationToken.None);

            SameResults(merged, one);
            merged[0].Units.Should().Contain(u => u.Best != null, "the case labels something, so the comparison has content");
        }
    }

    [Fact]
    public void Unreadable_images_are_left_out_by_their_shard_and_named_as_one_run_names_them()
    {
        var clean = InMemoryProbeSet.Random(5, 19, [(8, 8), (7, 11)]);
        var data = new DissectorTests.UnreadableImages(clean, [2, 11, 12]);
        var source = Planted([(4, 4, 5)], seed: 5);
        var options = new DissectionOptions { Quantile = 0.05, BatchSize = 3, TopImages = 3 };

        var one = Dissector.Run(source, data, ["layer0"], options, null, CancellationToken.None);
        var manifests = RunShards(source, data, ["layer0"], options, 3);
        var merged = DissectionMerge.Run(ShardSet.Open(_temp.Path), source.Identity, data, ["layer0"], options, null, CancellationToken.None);

        manifests.SelectMany(m => m.Skipped.Select(s => s.Index)).Should().Equal(2, 11, 12);
        merged[0].SkippedImages.Select(s => s.Index).Should().Equal(2, 11, 12);
        SameResults(merged, one);
    }

    [Fact]
    public void A_shard_holds_its_images_activations_in_float32_and_a_manifest_written_last()
    {
        var data = InMemoryProbeSet.Random(3, 10, [(8, 8)]);
        var source = Planted([(3, 5, 7)], seed: 3);
        var options = new DissectionOptions { BatchSize = 2 };

        var manifest = DissectionShard.Run(source, data, ["layer0"], options, new ShardSpec(1, 2), _temp.Path, null, CancellationToken.None);

        (manifest.First, manifest.End).Should().Be((4, 10), "5 batches of 2: shard 1 of 2 gets batches 2-4");
        manifest.Used.Should().Equal(4, 5, 6, 7, 8, 9);
        var layer = manifest.Layers.Should().ContainSingle().Subject;
        (layer.Units, layer.Height, layer.Width).Should().Be((3, 5, 7));
        layer.Bytes.Should().Be(ActivationRecords.HeaderBytes + 6 * ActivationRecords.BytesPerImage(3, 5, 7));
        new FileInfo(Path.Combine(_temp.Path, layer.File)).Length.Should().Be(layer.Bytes);
        File.Exists(Path.Combine(_temp.Path, "shard-1-of-2.json")).Should().BeTrue();
        Directory.GetFiles(_temp.Path).Select(Path.GetFileName).Should().OnlyContain(n => !n!.StartsWith('.'), "no temporary file is left");
    }

    [Fact]
    public void A_cancelled_shard_leaves_no_manifest_and_no_temporary_file()
    {
        var data = InMemoryProbeSet.Random(4, 12, [(8, 8)]);
        using var cts = new CancellationTokenSource();
        var source = new PlantedActivations(new Dictionary<string, (int, int, int, Func<ProbeSample, float[]>)>
        {
            ["layer0"] = (3, 4, 4, PlantedActivations.Maps(3, 4, 4, (s, u, y, x) => s.Index + u + y + x)),
        })
        { BeforeForward = n => { if (n == 1) cts.Cancel(); } };

        var run = () => DissectionShard.Run(source, data, ["layer0"], new DissectionOptions { BatchSize = 2 }, new ShardSpec(0, 1), _temp.Path, null, cts.Token);

        run.Should().Throw<OperationCanceledException>();
        Directory.GetFiles(_temp.Path).Should().BeEmpty();
    }

    [Theory]
    [InlineData(10, 3, 4)] // 4 batches, 4 shards of one
    [InlineData(100, 7, 3)]
    [InlineData(17, 1, 1)]
    [InlineData(63, 16, 2)]
    public void Shards_tile_the_images_in_whole_batches(int images, int batch, int count)
    {
        var ranges = Enumerable.Range(0, count).Select(i => new ShardSpec(i, count).Range(images, batch)).ToList();

        ranges[0].First.Should().Be(0);
        ranges[^1].End.Should().Be(images);
        ranges.Zip(ranges.Skip(1)).All(p => p.First.End == p.Second.First).Should().BeTrue();
        ranges.Should().OnlyContain(r => r.First % batch == 0 && r.End > r.First);
        int batches = (images + batch - 1) / batch;
        ranges.Select(r => (r.End - r.First + batch - 1) / batch).Should().OnlyContain(b => b == batches / count || b == batches / count + 1, "as even as whole batches allow");
    }

    [Theory]
    [InlineData("3", "not i/N")]
    [InlineData("a/b", "not i/N")]
    [InlineData("-1/4", "not i/N")]
    [InlineData("4/4", "shards are numbered 0 to 3")]
    [InlineData("0/0", "at least 1 shard")]
    public void A_bad_shard_is_refused_by_name(string text, string message)
    {
        var parse = () => ShardSpec.Parse(text);

        parse.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument).WithMessage($"*{message}*");
    }

    [Fact]
    public void More_shards_than_batches_are_refused_before_anything_runs()
    {
        var data = InMemoryProbeSet.Random(6, 9, [(8, 8)]);
        var source = Planted([(3, 4, 4)], seed: 6);

        var run = () => DissectionShard.Run(source, data, ["layer0"], new DissectionOptions { BatchSize = 4 }, new ShardSpec(0, 4), _temp.Path, null, CancellationToken.None);

        run.Should().Throw<UnitScopeException>().WithMessage("9 images make 3 batch(es) of 4: too few for 4 shards*");
        source.ForwardPasses.Should().Be(0);
    }

    // ---- refusals ----

    [Fact]
    public void A_missing_shard_is_refused_naming_its_file()
    {
        var (source, data) = ThreeShards();
        File.Delete(Path.Combine(_temp.Path, "shard-1-of-3.json"));

        var merge = () => Merge(source, data);

        merge.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.FileNotFound)
            .WithMessage($"Shard 1/3 is missing: {Path.Combine(_temp.Path, "shard-1-of-3.json")} does not exist*");
    }

    [Fact]
    public void A_damaged_manifest_is_refused_naming_its_file()
    {
        var (source, data) = ThreeShards();
        string path = Path.Combine(_temp.Path, "shard-2-of-3.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"first\":", "\"first\": "));

        var merge = () => Merge(source, data);

        merge.Should().Throw<UnitScopeException>().WithMessage($"Shard 2/3 cannot be merged: {path}: it is damaged*");
        File.Exists(path).Should().BeTrue("a shard's file is the user's: reported, never removed as a damaged cache entry is");
    }

    [Theory]
    [InlineData("flipped")]
    [InlineData("truncated")]
    [InlineData("deleted")]
    public void A_damaged_activation_file_is_refused_before_anything_is_computed(string damage)
    {
        var (source, data) = ThreeShards();
        var manifest = ShardManifestFile.Read(_temp.Path, new ShardSpec(1, 3));
        string file = Path.Combine(_temp.Path, manifest.Layers[1].File);
        var bytes = File.ReadAllBytes(file);
        switch (damage)
        {
            case "flipped": bytes[bytes.Length / 2] ^= 0x10; File.WriteAllBytes(file, bytes); break;
            case "truncated": File.WriteAllBytes(file, bytes[..^4]); break;
            default: File.Delete(file); break;
        }
        int progressReports = 0;

        var merge = () => DissectionMerge.Run(ShardSet.Open(_temp.Path), source.Identity, data, ["layer0", "layer1"], Options,
            new SyncProgress<DissectionProgress>(_ => progressReports++), CancellationToken.None);

        merge.Should().Throw<UnitScopeException>().WithMessage($"Shard 1/3 cannot be merged: *shard-1-of-3.json lists {file}, which {(damage == "deleted" ? "does not exist." : "is damaged*")}");
        progressReports.Should().Be(0);
    }

    [Fact]
    public void Shards_of_another_checkpoint_are_refused()
    {
        var (source, data) = ThreeShards();

        var merge = () => DissectionMerge.Run(ShardSet.Open(_temp.Path), "feedbeef", data, ["layer0"], Options, null, CancellationToken.None);

        merge.Should().Throw<UnitScopeException>().WithMessage("*shard-0-of-3.json was made from checkpoint planted, not the model given (feedbeef)*");
    }

    [Fact]
    public void A_shard_made_from_another_checkpoint_than_the_others_is_refused_naming_it()
    {
        var (source, data) = ThreeShards();
        DissectionShard.Run(new Renamed(source, "other"), data, ["layer0", "layer1"], Options, new ShardSpec(2, 3), _temp.Path, null, CancellationToken.None);

        var open = () => ShardSet.Open(_temp.Path);

        open.Should().Throw<UnitScopeException>().WithMessage("Shard 2/3 cannot be merged: *shard-2-of-3.json was made from checkpoint other, shard 0 from planted.");
    }

    [Fact]
    public void A_shard_over_another_probe_set_is_refused_naming_it()
    {
        var (source, data) = ThreeShards();
        DissectionShard.Run(source, new DissectorTests.UnreadableImages(data, [], hash: "99aa"), ["layer0", "layer1"], Options, new ShardSpec(1, 3), _temp.Path, null, CancellationToken.None);

        var open = () => ShardSet.Open(_temp.Path);

        open.Should().Throw<UnitScopeException>().WithMessage("Shard 1/3 cannot be merged: *shard-1-of-3.json was made over probe set 99aa, shard 0 over 0123abcd.");
    }

    [Fact]
    public void Merging_over_another_probe_set_or_image_count_is_refused()
    {
        var (source, data) = ThreeShards();

        var otherSet = () => DissectionMerge.Run(ShardSet.Open(_temp.Path), source.Identity, new DissectorTests.UnreadableImages(data, [], hash: "77"), ["layer0"], Options, null, CancellationToken.None);
        var fewer = () => DissectionMerge.Run(ShardSet.Open(_temp.Path), source.Identity, data, ["layer0"], Options with { MaxImages = 20 }, null, CancellationToken.None);

        otherSet.Should().Throw<UnitScopeException>().WithMessage("*shard-0-of-3.json was made over probe set 0123abcd, not memory://probe (77*");
        fewer.Should().Throw<UnitScopeException>().WithMessage("*shard-0-of-3.json was split over the first 24 images, this merge asks for 20 (--max-images).");
    }

    [Fact]
    public void A_layer_the_shards_do_not_hold_is_refused()
    {
        var (source, data) = ThreeShards();

        var merge = () => DissectionMerge.Run(ShardSet.Open(_temp.Path), source.Identity, data, ["layer0", "layer9"], Options, null, CancellationToken.None);

        merge.Should().Throw<UnitScopeException>().WithMessage("*shard-0-of-3.json holds no layer 'layer9' (it has layer0, layer1).");
    }

    [Fact]
    public void Shards_of_two_splits_in_one_folder_are_refused()
    {
        var (source, data) = ThreeShards();
        DissectionShard.Run(source, data, ["layer0"], Options, new ShardSpec(0, 2), _temp.Path, null, CancellationToken.None);

        var open = () => ShardSet.Open(_temp.Path);

        open.Should().Throw<UnitScopeException>().WithMessage("*holds shards of different splits (shard-0-of-2.json and shard-0-of-3.json)*");
    }

    [Fact]
    public void A_shard_of_another_dissection_version_is_refused()
    {
        var (source, data) = ThreeShards();
        var old = ShardManifestFile.Read(_temp.Path, new ShardSpec(0, 3));
        ShardManifestFile.Write(_temp.Path, old with { AlgorithmVersion = DissectionKey.AlgorithmVersion - 1 });

        var open = () => ShardSet.Open(_temp.Path);

        open.Should().Throw<UnitScopeException>().WithMessage($"*shard-0-of-3.json was made by dissection version {DissectionKey.AlgorithmVersion - 1}, this UnitScope's is {DissectionKey.AlgorithmVersion}*");
    }

    [Fact]
    public void A_folder_without_shards_is_refused()
    {
        var open = () => ShardSet.Open(_temp.Path);

        open.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.FileNotFound).WithMessage("*holds no shard (shard-I-of-N.json)*");
    }

    [Fact]
    public void An_image_readable_now_that_its_shard_could_not_read_is_refused_by_name()
    {
        var clean = InMemoryProbeSet.Random(8, 24, [(8, 8)]);
        var source = Planted([(2, 3, 3)], seed: 8);
        for (int i = 0; i < 3; i++)
            DissectionShard.Run(source, new DissectorTests.UnreadableImages(clean, [9]), ["layer0"], Options, new ShardSpec(i, 3), _temp.Path, null, CancellationToken.None);

        var merge = () => DissectionMerge.Run(ShardSet.Open(_temp.Path), source.Identity, clean, ["layer0"], Options, null, CancellationToken.None);

        merge.Should().Throw<UnitScopeException>().WithMessage("Probe image 9 has no activations in *shard-1-of-3.0-layer0.acts: it could not be read when that shard ran*");
    }

    // ---- helpers ----

    static readonly DissectionOptions Options = new() { Quantile = 0.05, BatchSize = 4, TopImages = 3 };

    (PlantedActivations, InMemoryProbeSet) ThreeShards()
    {
        var data = InMemoryProbeSet.Random(12, 24, [(8, 8), (9, 7)]);
        var source = Planted([(3, 4, 4), (2, 3, 5)], seed: 12);
        RunShards(source, data, ["layer0", "layer1"], Options, 3);
        return (source, data);
    }

    IReadOnlyList<LayerDissection> Merge(IActivationSource source, ISegmentationDataset data) =>
        DissectionMerge.Run(ShardSet.Open(_temp.Path), source.Identity, data, ["layer0", "layer1"], Options, null, CancellationToken.None);

    List<ShardManifest> RunShards(IActivationSource source, ISegmentationDataset data, string[] layers, DissectionOptions options, int shards) =>
        // In reverse: the merge must not depend on the order the shards finished in.
        [.. Enumerable.Range(0, shards).Reverse()
            .Select(i => DissectionShard.Run(source, data, layers, options, new ShardSpec(i, shards), _temp.Path, null, CancellationToken.None))
            .Reverse()];

    static PlantedActivations Planted((int Units, int Height, int Width)[] layers, int seed)
    {
        var noise = new Noise(seed);
        return new PlantedActivations(layers.Select((l, i) => (Name: $"layer{i}", l)).ToDictionary(e => e.Name, e =>
            (e.l.Units, e.l.Height, e.l.Width, PlantedActivations.Maps(e.l.Units, e.l.Height, e.l.Width, (sample, u, y, x) =>
            {
                // Noise plus a bump where the sample's labels hold concept (u mod 11) + 1: something to label.
                int my = y * sample.MaskHeight / e.l.Height, mx = x * sample.MaskWidth / e.l.Width, concept = u % 11 + 1;
                bool hit = sample.PixelLabels.Values.SelectMany(m => m).Any(m => m[my * sample.MaskWidth + mx] == concept);
                return noise.Gaussian(sample.Index, u, y * e.l.Width + x) + (hit ? 2f : 0f);
            }))));
    }

    /// <summary>Equal as stored (every number of the JSON, which round-trips floats and doubles exactly) and in their top images' masks.</summary>
    static void SameResults(IReadOnlyList<LayerDissection> actual, IReadOnlyList<LayerDissection> expected)
    {
        JsonSerializer.Serialize(actual, DissectionStore.JsonOptions).Should().Be(JsonSerializer.Serialize(expected, DissectionStore.JsonOptions));
        foreach (var (a, e) in actual.Zip(expected))
            foreach (var (ua, ue) in a.Units.Zip(e.Units))
                ua.TopMasks!.Select(m => (m.ImageIndex, m.Height, m.Width, string.Join(",", m.Bits)))
                    .Should().Equal(ue.TopMasks!.Select(m => (m.ImageIndex, m.Height, m.Width, string.Join(",", m.Bits))), $"unit {ua.Unit} of {a.Layer}'s masks");
        actual.SelectMany(l => l.Units).Should().Contain(u => u.Label != null, "the cases label some units, so the comparison has content");
    }

    sealed class Renamed(IActivationSource inner, string identity) : IActivationSource
    {
        public string Identity => identity;
        public TorchSharp.torch.Device Device => inner.Device;
        public void CheckLayers(IReadOnlyList<string> layers) => inner.CheckLayers(layers);
        public IReadOnlyDictionary<string, TorchSharp.torch.Tensor> Forward(IReadOnlyList<ProbeSample> batch, IReadOnlyList<string> layers) =>
            inner.Forward(batch, layers);
    }
}
