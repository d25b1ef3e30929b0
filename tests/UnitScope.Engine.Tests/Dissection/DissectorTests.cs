using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// The engine against the brute-force reference on small random cases, planted concepts, and the
/// run's life cycle (progress, cancellation, failures, temporary files, repeatability).
/// </summary>
public class DissectorTests
{
    /// <summary>A case: a random probe set and random activations correlated with its labels.</summary>
    public sealed record Case(string Name, int Seed, int Images, (int, int)[] MaskSizes, (int Units, int Height, int Width)[] Layers,
        double Quantile, int BatchSize, int? MaxImages = null, double Offset = 0, double Drift = 0, bool Relu = false)
    {
        public override string ToString() => Name;
    }

    public static readonly TheoryData<Case> Cases =
    [
        new("mixed mask sizes, two layers, partial last batch", 1, 13, [(8, 8), (12, 10), (5, 7)], [(4, 6, 6), (3, 3, 4)], 0.05, 4),
        new("masks the size of the maps", 2, 10, [(6, 6)], [(5, 6, 6)], 0.1, 5),
        new("default quantile, negative activations", 3, 40, [(16, 16)], [(3, 4, 4)], 0.005, 16, Offset: -5),
        new("masks smaller than the maps", 4, 9, [(3, 3), (4, 2)], [(2, 6, 6)], 0.2, 2),
        new("first images only, batch of one", 5, 12, [(7, 9)], [(3, 5, 3)], 0.03, 1, MaxImages: 7),
        new("first batch far above the rest", 6, 200, [(24, 24)], [(3, 6, 6)], 0.05, 8, Drift: 50),
        new("ReLU maps, mostly zeros", 7, 120, [(20, 20), (16, 24)], [(4, 5, 5), (3, 2, 2)], 0.02, 16, Offset: -1.5, Relu: true),
        new("dead ReLU units: the threshold is 0", 8, 30, [(14, 14)], [(3, 7, 7)], 0.005, 8, Offset: -4, Relu: true),
        new("masks of odd sizes, larger and smaller than odd maps", 9, 11, [(13, 9), (5, 3), (9, 9)], [(5, 9, 5), (2, 3, 7)], 0.01, 4),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Agrees_with_the_brute_force_reference(Case c)
    {
        var data = InMemoryProbeSet.Random(c.Seed, c.Images, c.MaskSizes);
        var layers = c.Layers.Select((l, i) => ($"layer{i}", l)).ToDictionary(e => e.Item1, e => e.l);
        var source = new PlantedActivations(layers.ToDictionary(e => e.Key,
            e => (e.Value.Units, e.Value.Height, e.Value.Width, CorrelatedMaps(e.Value.Units, e.Value.Height, e.Value.Width, c.Seed, c.Offset,
                drift: s => s.Index < c.BatchSize ? c.Drift : 0, relu: c.Relu))));
        var options = new DissectionOptions { Quantile = c.Quantile, BatchSize = c.BatchSize, MaxImages = c.MaxImages, TopImages = 3 };

        var trace = Check(data, source, [.. layers.Keys], options);

        trace.ThresholdRounds.Values.Should().OnlyContain(n => n >= 1 && n <= 4, "the search narrows 4096-fold per pass over the spill");
    }

    /// <summary>
    /// A full-width layer as torchvision's ResNet-18 layer4 gives it (512 units, 7 × 7 maps on 112 × 112
    /// masks, ReLU: mostly zeros), against the brute force: exact thresholds, equal IoU, labels, masks.
    /// </summary>
    [Fact]
    public void Full_width_layer_agrees_with_the_brute_force_reference()
    {
        var data = InMemoryProbeSet.Random(51, 7, [(112, 112)]);
        var source = new PlantedActivations(new Dictionary<string, (int, int, int, Func<ProbeSample, float[]>)>
        {
            ["layer4"] = (512, 7, 7, CorrelatedMaps(512, 7, 7, 51, -1, relu: true)),
        });
        var options = new DissectionOptions { BatchSize = 3, TopImages = 4 };

        var trace = Check(data, source, ["layer4"], options);

        trace.ThresholdRounds["layer4"].Should().BeLessThanOrEqualTo(3);
    }

    [Fact]
    public void Model_session_path_agrees_with_the_reference_on_its_own_activations()
    {
        using var model = ModelSession.Load(Models.ModelFixtures.Checkpoint("resnet18_small"), new ModelOptions { Device = "cpu" });
        var data = InMemoryProbeSet.Random(7, 10, [(24, 24), (12, 20)], imageSize: 48);
        data = WithNoiseImages(data, 48, seed: 7);
        var options = new DissectionOptions { Quantile = 0.02, BatchSize = 4, TopImages = 4 };
        string[] layers = ["layer3", "layer4.1.conv2"];

        var captured = new CapturingSource(new ModelActivationSource(model));
        Check(data, captured, layers, options, captured);
    }

    /// <summary>
    /// Runs the engine and the reference and compares: thresholds equal to the exact quantile, every IoU,
    /// labels/best/per-category bests/top images and their masks/counts exactly.
    /// </summary>
    static DissectionTrace Check(InMemoryProbeSet data, IActivationSource source, string[] layers, DissectionOptions options,
        CapturingSource? captured = null)
    {
        var trace = new DissectionTrace();
        var results = Dissector.Run(source, data, layers, options, null, CancellationToken.None, null, trace);
        var tables = trace.Iou;
        int images = Math.Min(data.Count, options.MaxImages ?? int.MaxValue);
        var samples = data.Samples.Take(images).ToList();
        int slots = data.MaxConceptId + 1;

        results.Select(r => r.Layer).Should().Equal(layers);
        foreach (var result in results)
        {
            result.ImageCount.Should().Be(images);
            result.DatasetHash.Should().Be(data.ContentHash);
            result.CheckpointHash.Should().Be(source.Identity);
            result.Options.Should().Be(options);

            var (layerRaw, (units, height, width)) = captured is not null
                ? (captured.Raw[result.Layer], captured.Shapes[result.Layer])
                : Replay(source, samples, result.Layer);
            var reference = ReferenceDissection.Dissect(samples, data.Concepts, new(units, height, width, layerRaw),
                options.Quantile, result.Units.Select(u => u.Threshold).ToList(), options.TopImages);

            result.Units.Should().HaveCount(units);
            reference.Iou.Cast<double>().Should().Contain(v => v > 0.01, "the case exercises overlaps, not only zeros");
            var labelled = data.Categories.ToDictionary(k => k, _ => 0);
            for (int u = 0; u < units; u++)
            {
                var unit = result.Units[u];
                ((double)unit.Threshold).Should().Be(reference.ExactThresholds[u], $"unit {u}'s threshold is the exact quantile");
                unit.ThresholdErrorBound.Should().Be(0);

                for (int id = 1; id < slots; id++)
                    tables[result.Layer][u * slots + id].Should().Be(reference.Iou[u, id], $"IoU(unit {u}, concept {id})");

                var scores = data.Concepts.Select(k => (Concept: k, Iou: reference.Iou[u, k.Id])).Where(e => e.Iou > 0)
                    .OrderByDescending(e => e.Iou).ThenBy(e => e.Concept.Id).ToList();
                unit.Best?.ConceptId.Should().Be(scores.FirstOrDefault().Concept?.Id);
                if (scores.Count == 0) unit.Best.Should().BeNull();
                var expectedLabel = scores.Count > 0 && scores[0].Iou > options.IouThreshold ? scores[0].Concept : null;
                unit.Label?.ConceptId.Should().Be(expectedLabel?.Id);
                if (expectedLabel is null) unit.Label.Should().BeNull();
                else labelled[expectedLabel.Category]++;
                unit.BestPerCategory.Select(s => s.ConceptId).Should().Equal(
                    data.Categories.Select(k => scores.FirstOrDefault(e => e.Concept.Category == k).Concept?.Id).OfType<int>());
                unit.TopImages.Select(t => (t.ImageIndex, t.MaxActivation)).Should().Equal(reference.Top[u]);
                unit.TopMasks!.Select(m => m.ImageIndex).Should().Equal(reference.Top[u].Select(t => t.Image));
                foreach (var mask in unit.TopMasks!)
                    mask.ToArray().Should().Equal(reference.Masks[u][mask.ImageIndex], $"unit {u}'s mask on image {mask.ImageIndex}");
            }
            result.LabelledByCategory.Should().Equal(labelled);
        }
        return trace;
    }

    /// <summary>
    /// Two 2×2 images, one unit "on" at pixels {0, 1} of image 0 and {0, 1, 2} of image 1 (maps at
    /// mask size, so no resampling). Image 0 has part labels (two maps: leg at pixel 0 in both, wheel at
    /// pixel 1), image 1 has none; red covers image 0 and pixel 3 of image 1; image 1 is a street scene.
    /// </summary>
    public static readonly TheoryData<int, string, double> HandCounted = new()
    {
        // leg: I = 1 (once, though two maps hold it), unit area only where parts are labelled = 2, |L| = 1.
        { 7, "partial annotation: only image 0's mask pixels count", 1.0 / (2 + 1 - 1) },
        { 8, "second part map", 1.0 / (2 + 1 - 1) },
        // red: I = 2, area 2 + 3 (both images have colour labels), |L| = 4 + 1.
        { 1, "both images annotated", 2.0 / (5 + 5 - 2) },
        // street (image-level): covers image 1's 4 pixels; I = 3, area in scene-labelled images = 3.
        { 10, "image-level label covers the image", 3.0 / (3 + 4 - 3) },
        { 4, "concept absent everywhere", 0 },
    };

    [Theory]
    [MemberData(nameof(HandCounted))]
    public void Iou_by_hand(int concept, string why, double expected)
    {
        var empty = new Dictionary<string, IReadOnlyList<int>>();
        ProbeSample[] samples =
        [
            new(0, "0.png", InMemoryProbeSet.Gray(2, 0), 2, 2, new Dictionary<string, IReadOnlyList<int[]>>
            {
                ["color"] = [[1, 1, 1, 1]],
                ["part"] = [[7, 0, 0, 0], [7, 8, 0, 0]],
            }, empty),
            new(1, "1.png", InMemoryProbeSet.Gray(2, 0), 2, 2, new Dictionary<string, IReadOnlyList<int[]>>
            {
                ["color"] = [[0, 0, 0, 1]],
            }, new Dictionary<string, IReadOnlyList<int>> { ["scene"] = [10] }),
        ];
        var full = InMemoryProbeSet.Random(0, 1, [(2, 2)]);
        var data = new InMemoryProbeSet(full.Categories, full.Concepts, samples);
        float[][] on = [[10, 10, 0, 0], [10, 10, 10, 0]];
        var source = new PlantedActivations(new Dictionary<string, (int, int, int, Func<ProbeSample, float[]>)>
        {
            ["conv"] = (1, 2, 2, s => on[s.Index]),
        });
        // 5 of the 8 values are "on": the top 5/8.
        var options = new DissectionOptions { Quantile = 5.0 / 8, IouThreshold = 0 };
        var trace = new DissectionTrace();

        var result = Dissector.Run(source, data, ["conv"], options, null, CancellationToken.None, null, trace).Single();
        var tables = trace.Iou;

        tables["conv"][concept].Should().BeApproximately(expected, 1e-12, why);
        result.Units[0].Label!.ConceptId.Should().Be(10, "street has the highest IoU, 0.75");
        result.Units[0].BestPerCategory.Select(b => (b.Category, b.ConceptId)).Should()
            .Equal(("color", 1), ("part", 7), ("scene", 10));
    }

    [Fact]
    public void Units_planted_on_concepts_are_labelled_with_them()
    {
        var data = PlantedBlocks(images: 24, seed: 11, out var blockOf);
        // Unit k is 1 on concept k+1's block (at half the mask's resolution) plus noise; the last unit is noise only.
        var noise = new Noise(11);
        var source = new PlantedActivations(new Dictionary<string, (int, int, int, Func<ProbeSample, float[]>)>
        {
            ["conv"] = (5, 8, 8, PlantedActivations.Maps(5, 8, 8, (s, u, y, x) =>
                (u < 4 && blockOf(s.Index, u + 1) == (y / 2, x / 2) ? 1f : 0f) + 0.05f * noise.Gaussian(s.Index, u, y * 8 + x))),
        });
        // Each concept covers one 4×4 block of a 16×16 mask in every image: 1/16 of all pixels.
        var options = new DissectionOptions { Quantile = 1.0 / 16, BatchSize = 5 };

        var result = Dissector.Run(source, data, ["conv"], options, null, CancellationToken.None).Single();

        for (int k = 0; k < 4; k++)
        {
            result.Units[k].Label.Should().NotBeNull($"unit {k} carries concept {k + 1}");
            result.Units[k].Label!.ConceptId.Should().Be(k + 1);
            result.Units[k].Label!.Iou.Should().BeGreaterThan(0.95);
        }
        // Unit 4 is noise; at this quantile chance overlap with 1/16-area concepts is ≈ 0.03.
        result.Units[4].Best!.Iou.Should().BeLessThan(0.15);
        result.Units.Take(4).Select(u => u.Label!.Iou).Should().OnlyContain(iou => iou > 5 * result.Units[4].Best!.Iou);
    }

    [Fact]
    public void Random_activations_label_no_unit()
    {
        var data = InMemoryProbeSet.Random(21, 60, [(16, 16), (12, 12)]);
        var noise = new Noise(21);
        var source = new PlantedActivations(new Dictionary<string, (int, int, int, Func<ProbeSample, float[]>)>
        {
            ["conv"] = (8, 4, 4, PlantedActivations.Maps(8, 4, 4, (s, u, y, x) => noise.Gaussian(s.Index, u, y * 4 + x))),
        });

        var result = Dissector.Run(source, data, ["conv"], new DissectionOptions(), null, CancellationToken.None).Single();

        result.LabelledUnits.Should().Be(0);
        result.Units.Should().OnlyContain(u => u.Best == null || u.Best.Iou < 0.04);
        result.LabelledByCategory.Values.Should().OnlyContain(n => n == 0);
    }

    [Fact]
    public void Dissecting_twice_gives_identical_results()
    {
        var (data, source) = SmallRun(seed: 31);
        var options = new DissectionOptions { Quantile = 0.05, BatchSize = 3 };

        var first = Dissector.Run(source, data, ["a", "b"], options, null, CancellationToken.None);
        var second = Dissector.Run(source, data, ["a", "b"], options, null, CancellationToken.None);

        second.Should().BeEquivalentTo(first, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Only_pass_one_runs_the_source_and_loads_the_images()
    {
        var (data, source) = SmallRun(seed: 32);

        Dissector.Run(source, data, ["a", "b"], new DissectionOptions { BatchSize = 4 }, null, CancellationToken.None);

        source.ForwardPasses.Should().Be((data.Count + 3) / 4);
        data.Loads.Should().Be(data.Count);
    }

    [Fact]
    public void Progress_reports_every_batch_then_each_layer_as_it_completes()
    {
        var (data, source) = SmallRun(seed: 33);
        var events = new List<DissectionProgress>();

        var results = Dissector.Run(source, data, ["a", "b"], new DissectionOptions { BatchSize = 4 }, new SyncProgress<DissectionProgress>(events.Add), CancellationToken.None);

        int batches = (data.Count + 3) / 4;
        var thresholds = events.TakeWhile(e => e.Phase == AnalysisPhase.Thresholds).ToList();
        thresholds.Select(e => e.ImagesDone).Should().Equal(Enumerable.Range(1, batches).Select(b => Math.Min(4 * b, data.Count)));
        thresholds.Should().OnlyContain(e => e.ImagesTotal == data.Count && e.CompletedLayer == null && e.Layer == null);

        var perLayer = events.Skip(thresholds.Count).ToList();
        perLayer.Should().OnlyContain(e => e.ImagesTotal == data.Count);
        perLayer.Select(e => e.Layer).Distinct().Should().Equal("a", "b");
        foreach (string layer in new[] { "a", "b" })
        {
            var steps = perLayer.Where(e => e.Layer == layer).ToList();
            var search = steps.TakeWhile(e => e.Phase == AnalysisPhase.Quantiles).ToList();
            search.Should().NotBeEmpty("the exact thresholds come first");
            search.Select(e => (e.Round, e.ImagesDone)).Should().BeInAscendingOrder();
            search.Where(e => e.ImagesDone == data.Count).Select(e => e.Round).Should().Equal(Enumerable.Range(1, search.Max(e => e.Round)));
            steps.Skip(search.Count).Should().HaveCount(batches + 1).And.OnlyContain(e => e.Phase == AnalysisPhase.Iou);
        }
        var iou = perLayer.Where(e => e.Phase == AnalysisPhase.Iou).ToList();
        iou.Where(e => e.CompletedLayer != null).Select(e => e.CompletedLayer).Should().Equal(results);
        iou[batches].CompletedLayer.Should().BeSameAs(results[0], "layer a is reported before layer b is counted");
    }

    public static readonly TheoryData<AnalysisPhase> Phases = new() { AnalysisPhase.Thresholds, AnalysisPhase.Iou };

    [Theory]
    [MemberData(nameof(Phases))]
    public void Cancelling_in_either_pass_throws_and_leaves_no_temporary_files(AnalysisPhase phase)
    {
        var (data, source) = SmallRun(seed: 34);
        using var folder = new TempFolder();
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress<DissectionProgress>(e => { if (e.Phase == phase && e.ImagesDone >= 4) cancel.Cancel(); });

        var run = () => Dissector.Run(source, data, ["a", "b"], new DissectionOptions { BatchSize = 4 }, progress, cancel.Token, folder.Path);

        run.Should().Throw<OperationCanceledException>();
        Directory.EnumerateFileSystemEntries(folder.Path).Should().BeEmpty();
        if (phase == AnalysisPhase.Thresholds) source.ForwardPasses.Should().Be(1, "the run stops at the next batch");
    }

    [Fact]
    public void A_failing_source_propagates_and_leaves_no_temporary_files()
    {
        var data = InMemoryProbeSet.Random(35, 12, [(8, 8)]);
        var source = new PlantedActivations(new Dictionary<string, (int, int, int, Func<ProbeSample, float[]>)>
        {
            ["a"] = (2, 4, 4, PlantedActivations.Maps(2, 4, 4, (s, u, y, x) => s.Index + u + y + x)),
        })
        { BeforeForward = pass => { if (pass == 2) throw new InvalidOperationException("device lost"); } };
        using var folder = new TempFolder();

        var run = () => Dissector.Run(source, data, ["a"], new DissectionOptions { BatchSize = 4 }, null, CancellationToken.None, folder.Path);

        run.Should().Throw<InvalidOperationException>().WithMessage("device lost");
        Directory.EnumerateFileSystemEntries(folder.Path).Should().BeEmpty();
    }

    [Fact]
    public void A_completed_run_leaves_no_temporary_files()
    {
        var (data, source) = SmallRun(seed: 36);
        using var folder = new TempFolder();

        Dissector.Run(source, data, ["a", "b"], new DissectionOptions(), null, CancellationToken.None, folder.Path);

        Directory.EnumerateFileSystemEntries(folder.Path).Should().BeEmpty();
    }

    public static readonly TheoryData<string, DissectionOptions, string[]> BadRequests = new()
    {
        { "Quantile", new DissectionOptions { Quantile = 0 }, ["a"] },
        { "Quantile", new DissectionOptions { Quantile = 1 }, ["a"] },
        { "IouThreshold", new DissectionOptions { IouThreshold = -0.1 }, ["a"] },
        { "BatchSize", new DissectionOptions { BatchSize = 0 }, ["a"] },
        { "TopImages", new DissectionOptions { TopImages = -1 }, ["a"] },
        { "MaxImages", new DissectionOptions { MaxImages = 0 }, ["a"] },
        { "at least one layer", new DissectionOptions(), [] },
        { "named twice", new DissectionOptions(), ["a", "a"] },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Bad_options_are_refused_before_anything_runs(string named, DissectionOptions options, string[] layers)
    {
        var (data, source) = SmallRun(seed: 37);

        var run = () => Dissector.Run(source, data, layers, options, null, CancellationToken.None);

        run.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument).WithMessage($"*{named}*");
        source.ForwardPasses.Should().Be(0);
    }

    [Fact]
    public void A_layer_without_maps_is_refused_with_its_shape()
    {
        using var model = ModelSession.Load(Models.ModelFixtures.Checkpoint("resnet18_small"), new ModelOptions { Device = "cpu" });
        var data = InMemoryProbeSet.Random(38, 2, [(8, 8)], imageSize: 48);

        var run = () => Dissector.Run(model, data, ["fc"], new DissectionOptions(), null, CancellationToken.None);

        run.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument).WithMessage("*'fc'*[10]*");
    }

    [Fact]
    public void Non_finite_activations_name_the_layer_and_unit()
    {
        var data = InMemoryProbeSet.Random(40, 6, [(8, 8)]);
        var source = new PlantedActivations(new Dictionary<string, (int, int, int, Func<ProbeSample, float[]>)>
        {
            ["conv"] = (3, 4, 4, PlantedActivations.Maps(3, 4, 4, (s, u, y, x) => s.Index == 5 && u == 2 && y == 1 ? float.NaN : y + x)),
        });

        var run = () => Dissector.Run(source, data, ["conv"], new DissectionOptions { BatchSize = 4 }, null, CancellationToken.None, null, null);

        run.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument)
            .WithMessage("*'conv' unit 2*non-finite*4–5*");
    }

    [Fact]
    public void A_label_map_of_the_wrong_size_names_the_image()
    {
        var data = InMemoryProbeSet.Random(39, 3, [(8, 8)]);
        var bad = data.Samples[2] with { PixelLabels = new Dictionary<string, IReadOnlyList<int[]>> { ["color"] = [new int[63]] } };
        data = new InMemoryProbeSet(data.Categories, data.Concepts, [data.Samples[0], data.Samples[1], bad]);
        var (_, source) = SmallRun(seed: 39);

        var run = () => Dissector.Run(source, data, ["a"], new DissectionOptions(), null, CancellationToken.None);

        run.Should().Throw<UnitScopeException>().WithMessage("*image 2*63 values*8x8*");
    }

    [Fact]
    public void Unreadable_probe_images_are_left_out_named_and_the_rest_dissected_as_without_them()
    {
        var (data, source) = SmallRun(seed: 41);
        int[] unreadable = [2, 7];
        var broken = new UnreadableImages(data, unreadable);
        var options = new DissectionOptions { Quantile = 0.05, BatchSize = 3, TopImages = 4 };

        var withBad = Dissector.Run(source, broken, ["a", "b"], options, null, CancellationToken.None);

        // The reference: the same samples (the same activations) in a set that never had the bad ones.
        int[] readable = [.. Enumerable.Range(0, data.Count).Except(unreadable)];
        var without = Dissector.Run(source, new InMemoryProbeSet(data.Categories, data.Concepts, [.. readable.Select(i => data.Samples[i])]),
            ["a", "b"], options, null, CancellationToken.None);
        foreach (var (layer, reference) in withBad.Zip(without))
        {
            layer.ImageCount.Should().Be(readable.Length);
            layer.SkippedImages.Select(s => s.Index).Should().Equal(unreadable);
            layer.SkippedImages.Should().OnlyContain(s => s.Image.StartsWith("probe image ") && s.Problem.Contains("truncated"));
            layer.LabelledByCategory.Should().BeEquivalentTo(reference.LabelledByCategory);
            foreach (var (unit, expected) in layer.Units.Zip(reference.Units))
            {
                (unit.Threshold, unit.Label, unit.Best).Should().Be((expected.Threshold, expected.Label, expected.Best), $"unit {unit.Unit} of {layer.Layer}");
                unit.BestPerCategory.Should().Equal(expected.BestPerCategory);
                // Top images keep their numbers in the whole set, not their place among the readable ones.
                unit.TopImages.Should().Equal(expected.TopImages.Select(t => t with { ImageIndex = readable[t.ImageIndex] }));
                unit.TopMasks!.Select(m => (m.ImageIndex, string.Join(",", m.Bits)))
                    .Should().Equal(expected.TopMasks!.Select(m => (readable[m.ImageIndex], string.Join(",", m.Bits))));
            }
        }
    }

    [Fact]
    public void A_probe_set_with_no_readable_image_is_refused_naming_the_first_problem()
    {
        var (data, source) = SmallRun(seed: 42);
        var broken = new UnreadableImages(data, [.. Enumerable.Range(0, data.Count)]);

        var run = () => Dissector.Run(source, broken, ["a"], new DissectionOptions(), null, CancellationToken.None);

        run.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.BadImage)
            .WithMessage("None of the 10 probe images of memory://probe could be read; the first: *img0.png*truncated*");
    }

    // ---- helpers ----

    /// <summary>A probe set whose images <paramref name="unreadable"/> fail to decode, as a truncated file does; under another content hash when given.</summary>
    internal sealed class UnreadableImages(InMemoryProbeSet inner, int[] unreadable, string? hash = null) : ISegmentationDataset
    {
        public string Root => inner.Root;
        public string ContentHash => hash ?? inner.ContentHash;
        public IReadOnlyList<string> Categories => inner.Categories;
        public IReadOnlyList<Concept> Concepts => inner.Concepts;
        public int MaxConceptId => inner.MaxConceptId;
        public int Count => inner.Count;

        public ProbeSample Load(int index) => unreadable.Contains(index)
            ? throw new UnitScopeException(EngineErrorKind.BadImage, $"img{index}.png cannot be decoded: the file is truncated.")
            : inner.Load(index);
    }


    static (InMemoryProbeSet, PlantedActivations) SmallRun(int seed)
    {
        var data = InMemoryProbeSet.Random(seed, 10, [(8, 8), (6, 10)]);
        var source = new PlantedActivations(new Dictionary<string, (int, int, int, Func<ProbeSample, float[]>)>
        {
            ["a"] = (4, 4, 4, CorrelatedMaps(4, 4, 4, seed, 0)),
            ["b"] = (3, 2, 3, CorrelatedMaps(3, 2, 3, seed + 1, 0)),
        });
        return (data, source);
    }

    /// <summary>Noise plus, for unit u, a bump where the sample's labels hold concept (u mod 11) + 1.</summary>
    static Func<ProbeSample, float[]> CorrelatedMaps(int units, int height, int width, int seed, double offset,
        Func<ProbeSample, double>? drift = null, bool relu = false)
    {
        var noise = new Noise(seed);
        return PlantedActivations.Maps(units, height, width, (sample, u, y, x) =>
        {
            int my = y * sample.MaskHeight / height, mx = x * sample.MaskWidth / width;
            int concept = u % 11 + 1;
            bool hit = sample.PixelLabels.Values.SelectMany(m => m).Any(m => m[my * sample.MaskWidth + mx] == concept)
                || sample.ImageLabels.Values.Any(ids => ids.Contains(concept));
            double value = offset + (drift?.Invoke(sample) ?? 0) + noise.Gaussian(sample.Index, u, y * width + x) + (hit ? 2 : 0);
            return (float)(relu ? Math.Max(0, value) : value);
        });
    }

    /// <summary>Images of 16×16 masks where each of concepts 1–4 ("object") fills one 4×4 block of a 4×4 grid of blocks, shuffled per image.</summary>
    static InMemoryProbeSet PlantedBlocks(int images, int seed, out Func<int, int, (int, int)> blockOf)
    {
        var random = new Random(seed);
        var blocks = new (int, int)[images][];
        var samples = new List<ProbeSample>();
        for (int i = 0; i < images; i++)
        {
            var cells = Enumerable.Range(0, 16).OrderBy(_ => random.Next()).Take(4).Select(c => (c / 4, c % 4)).ToArray();
            blocks[i] = cells;
            var map = new int[256];
            for (int k = 0; k < 4; k++)
                for (int y = 0; y < 4; y++)
                    for (int x = 0; x < 4; x++)
                        map[(cells[k].Item1 * 4 + y) * 16 + cells[k].Item2 * 4 + x] = k + 1;
            samples.Add(new ProbeSample(i, $"b{i}.png", InMemoryProbeSet.Gray(8, 0), 16, 16,
                new Dictionary<string, IReadOnlyList<int[]>> { ["object"] = [map] }, new Dictionary<string, IReadOnlyList<int>>()));
        }
        // (row, column) of concept's block in the 4×4 grid: a 2×2 patch of an 8×8 map, a 4×4 patch of the mask.
        blockOf = (image, concept) => blocks[image][concept - 1];
        var concepts = Enumerable.Range(1, 4).Select(k => new Concept(k, $"thing{k}", "object")).ToList();
        return new InMemoryProbeSet(["object"], concepts, samples);
    }

    internal static InMemoryProbeSet WithNoiseImages(InMemoryProbeSet data, int size, int seed)
    {
        var random = new Random(seed);
        return new InMemoryProbeSet(data.Categories, data.Concepts, [.. data.Samples.Select(s =>
        {
            var pixels = new byte[size * size * 3];
            random.NextBytes(pixels);
            return s with { Image = new Imaging.RgbImage(size, size, 3, pixels) };
        })]);
    }

    /// <summary>A planted source's activations per image, again (it is a pure function of the sample), and the layer's shape.</summary>
    static (List<float[]>, (int, int, int)) Replay(IActivationSource source, IReadOnlyList<ProbeSample> samples, string layer)
    {
        var raw = new List<float[]>();
        (int, int, int) shape = default;
        foreach (var sample in samples)
        {
            using var t = source.Forward([sample], [layer])[layer];
            shape = ((int)t.shape[1], (int)t.shape[2], (int)t.shape[3]);
            raw.Add(t.data<float>().ToArray());
        }
        return (raw, shape);
    }

    /// <summary>Wraps a source and keeps what it produced (per image, float32), for the reference.</summary>
    internal sealed class CapturingSource(IActivationSource inner) : IActivationSource
    {
        public Dictionary<string, List<float[]>> Raw { get; } = [];
        public Dictionary<string, (int, int, int)> Shapes { get; } = [];
        public string Identity => inner.Identity;
        public TorchSharp.torch.Device Device => inner.Device;
        public void CheckLayers(IReadOnlyList<string> layers) => inner.CheckLayers(layers);

        public IReadOnlyDictionary<string, TorchSharp.torch.Tensor> Forward(IReadOnlyList<ProbeSample> batch, IReadOnlyList<string> layers)
        {
            var result = inner.Forward(batch, layers);
            foreach (var (layer, t) in result)
            {
                Shapes[layer] = ((int)t.shape[1], (int)t.shape[2], (int)t.shape[3]);
                var list = Raw.TryGetValue(layer, out var l) ? l : Raw[layer] = [];
                for (int n = 0; n < batch.Count; n++)
                    list.Add(t[n].contiguous().data<float>().ToArray());
            }
            return result;
        }
    }
}

/// <summary>Deterministic Gaussian noise by (image, unit, position): the same value whatever the batching, in every process.</summary>
sealed class Noise(int seed)
{
    public float Gaussian(int image, int unit, int position)
    {
        ulong h = Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)image << 40 ^ (ulong)unit << 20 ^ (ulong)position));
        double u1 = ((h >> 11) + 1) * (1.0 / (1UL << 53)), u2 = (Mix(h) >> 11) * (1.0 / (1UL << 53));
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>SplitMix64's finaliser.</summary>
    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("unitscope-dissect-test-").FullName;
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
