using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Occlusion;

/// <summary>
/// Occlusion sensitivity on the bundled sample model (smallcnn: circle/square/triangle/cross at 64×64) and a
/// residual fixture: batching gives the very same numbers as one copy at a time, the fill is what it says,
/// and hiding the shape is what lowers its class's probability.
/// </summary>
[Collection(ExactNumerics.Name)]
public class OccluderTests : IClassFixture<OccluderTests.Models>
{
    public sealed class Models : IDisposable
    {
        public readonly ModelSession Sample = ModelSession.Load(Path.Combine(ModelFixtures.RepoRoot, "samples", "smallcnn.pth"), new ModelOptions { Device = "cpu" });
        public readonly ModelSession ResNet = ModelSession.Load(ModelFixtures.Checkpoint("resnet18_small"), new ModelOptions { Device = "cpu", InputHeight = 48 });

        public void Dispose()
        {
            Sample.Dispose();
            ResNet.Dispose();
        }
    }

    readonly Models _models;

    public OccluderTests(Models models) => _models = models;

    static RgbImage SampleImage(string name) => ImageFile.Load(Path.Combine(ModelFixtures.RepoRoot, "samples", "images", name + ".png"));

    static void SameNumbers(OcclusionResult a, OcclusionResult b)
    {
        a.TargetProbability.Should().Equal(b.TargetProbability);
        a.MostProbableClass.Should().Equal(b.MostProbableClass);
        a.MostProbableProbability.Should().Equal(b.MostProbableProbability);
        a.UnitActivity.Should().Equal(b.UnitActivity);
        a.BaseTargetProbability.Should().Be(b.BaseTargetProbability);
        a.BaseUnitActivity.Should().Be(b.BaseUnitActivity);
        a.Options.Unit.Should().Be(b.Options.Unit);
    }

    [Theory]
    [InlineData("sample", "conv3", 7)]
    [InlineData("resnet", "layer3", 17)]
    public void Batched_occlusion_equals_one_copy_at_a_time_exactly(string model, string layer, int batch)
    {
        var session = model == "sample" ? _models.Sample : _models.ResNet;
        var image = SampleImage("triangle");
        var options = new OcclusionOptions { Size = 12, Stride = 6, Layer = layer };
        var one = Occluder.Run(session, image, options with { BatchSize = 1 });
        var batched = Occluder.Run(session, image, options with { BatchSize = batch });
        var whole = Occluder.Run(session, image, options with { BatchSize = 1000 });
        one.TargetProbability.Length.Should().BeGreaterThan(batch, "several batches, the last one partial");
        SameNumbers(batched, one);
        SameNumbers(whole, one);
    }

    [Fact]
    public void Hiding_the_shape_lowers_its_class_probability_more_than_hiding_the_background()
    {
        var image = SampleImage("circle");
        var result = Occluder.Run(_models.Sample, image, new OcclusionOptions { Size = 24, Stride = 4 });
        result.ClassNames[result.TargetClass].Should().Be("circle");
        var probability = result.ToPixels(result.TargetProbability);
        // The shape: pixels that differ from the image's corner (its background).
        var small = ImageResize.Resize(image, result.InputWidth, result.InputHeight);
        var inside = new List<float>();
        var outside = new List<float>();
        for (int y = 0; y < result.InputHeight; y++)
            for (int x = 0; x < result.InputWidth; x++)
            {
                bool shape = Math.Abs(small[y, x, 0] - small[0, 0, 0]) + Math.Abs(small[y, x, 1] - small[0, 0, 1]) + Math.Abs(small[y, x, 2] - small[0, 0, 2]) > 60;
                (shape ? inside : outside).Add(probability[y * result.InputWidth + x]);
            }
        inside.Should().NotBeEmpty();
        // The sample model is sure of its shapes: compare how far the probability falls from 1.
        (1 - inside.Average()).Should().BeGreaterThan(2 * (1 - outside.Average()), $"inside {inside.Average()}, outside {outside.Average()}");
        result.TargetProbability.Min().Should().BeLessThan(result.BaseTargetProbability);
    }

    [Fact]
    public void A_fill_of_the_image_own_colour_changes_nothing()
    {
        var plain = new RgbImage(64, 64, 3, [.. Enumerable.Range(0, 64 * 64).SelectMany(_ => new byte[] { 200, 40, 90 })]);
        var result = Occluder.Run(_models.Sample, plain, new OcclusionOptions { Size = 20, Stride = 11, FillRgb = [200, 40, 90], Layer = "conv2" });
        result.TargetProbability.Should().OnlyContain(p => p == result.BaseTargetProbability);
        result.UnitActivity.Should().OnlyContain(a => a == result.BaseUnitActivity);
        result.MostProbableClass.Should().OnlyContain(c => c == result.BasePredictedClass);
    }

    [Fact]
    public void The_default_fill_is_the_normalisation_mean_and_differs_from_black()
    {
        var image = SampleImage("square");
        var mean = Occluder.Run(_models.Sample, image, new OcclusionOptions { Size = 16, Stride = 16 });
        // The mean colour in bytes is (0.485, 0.456, 0.406) · 255: not a whole byte, so a given colour only comes close.
        var near = Occluder.Run(_models.Sample, image, new OcclusionOptions { Size = 16, Stride = 16, FillRgb = [124, 116, 104] });
        var black = Occluder.Run(_models.Sample, image, new OcclusionOptions { Size = 16, Stride = 16, FillRgb = [0] });
        mean.Options.FillRgb.Should().BeNull();
        mean.TargetProbability.Zip(near.TargetProbability).Should().OnlyContain(p => Math.Abs(p.First - p.Second) < 0.02f);
        mean.TargetProbability.Zip(black.TargetProbability).Should().Contain(p => Math.Abs(p.First - p.Second) > 1e-4f);
    }

    [Fact]
    public void Defaults_resolve_to_the_predicted_class_the_last_spatial_layer_and_its_strongest_unit()
    {
        var image = SampleImage("cross");
        var prediction = _models.Sample.Predict(image);
        var result = Occluder.Run(_models.Sample, image, new OcclusionOptions { Size = 32, Stride = 32 });
        result.TargetClass.Should().Be(prediction.Top[0].Index);
        result.BasePredictedClass.Should().Be(prediction.Top[0].Index);
        result.BaseTargetProbability.Should().BeApproximately(prediction.Top[0].Probability, 1e-5f);
        string last = _models.Sample.Layers.Last(l => l.OutputShape.Count == 3 && !l.Kind.Contains("Pool")).Name;
        Occluder.DefaultLayer(_models.ResNet).Should().Be("layer4");
        result.Options.Layer.Should().Be(last);
        var map = _models.Sample.ComputeUnitMap(image, last, result.Options.Unit!.Value);
        float strongest = Enumerable.Range(0, _models.Sample.GetLayer(last).Units)
            .Max(u => _models.Sample.ComputeUnitMap(image, last, u).Values.Sum());
        map.Values.Sum().Should().BeApproximately(strongest, 1e-3f * Math.Abs(strongest));
        result.BaseUnitActivity!.Value.Should().BeApproximately(strongest, 1e-3f * Math.Abs(strongest));
        result.Rows.Should().Be(2);
        result.Columns.Should().Be(2);
    }

    [Theory]
    [InlineData(64, 16, 8, new[] { 0, 8, 16, 24, 32, 40, 48 })]
    [InlineData(30, 16, 8, new[] { 0, 8, 14 })]
    [InlineData(16, 16, 4, new[] { 0 })]
    [InlineData(20, 4, 9, new[] { 0, 9, 16 })]
    public void Positions_step_by_the_stride_and_reach_the_far_edge(int side, int size, int stride, int[] expected) =>
        Occluder.Positions(side, size, stride).Should().Equal(expected);

    [Fact]
    public void Maps_spread_over_pixels_average_the_covering_squares_and_classes_come_from_the_nearest_square()
    {
        var result = new OcclusionResult("c", "i", new OcclusionOptions { Size = 4, Stride = 2 }, 6, 6, [0, 2], [0, 2], ["a", "b", "c"],
            0, 1, 0, 1, [1, 2, 3, 4], [0, 1, 2, 1], [1, 1, 1, 1], null, null);
        var pixels = result.ToPixels([1, 2, 3, 4]);
        pixels[0].Should().Be(1);            // (0,0): only square (0,0)
        pixels[2 * 6 + 2].Should().Be(2.5f); // (2,2): all four
        pixels[5 * 6 + 5].Should().Be(4);    // (5,5): only square (1,1)
        pixels[0 * 6 + 3].Should().Be(1.5f); // (0,3): squares (0,0) and (0,1)
        var classes = result.ClassesAtPixels();
        classes[0].Should().Be(0);
        classes[5 * 6 + 5].Should().Be(1);
        classes[0 * 6 + 5].Should().Be(1);
        classes[5 * 6 + 0].Should().Be(2);
    }

    [Fact]
    public void Reports_progress_and_stops_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var reports = new List<OcclusionProgress>();
        var progress = new Sync<OcclusionProgress>(p =>
        {
            reports.Add(p);
            if (p.PositionsDone >= 8) cts.Cancel();
        });
        var run = () => Occluder.Run(_models.Sample, SampleImage("circle"), new OcclusionOptions { Size = 8, Stride = 4, BatchSize = 8 }, progress, cts.Token);
        run.Should().Throw<OperationCanceledException>();
        reports.Select(r => r.PositionsDone).Should().Equal(0, 8);
        reports.Should().OnlyContain(r => r.PositionsTotal == 15 * 15);

        reports.Clear();
        Occluder.Run(_models.Sample, SampleImage("circle"), new OcclusionOptions { Size = 32, Stride = 16, BatchSize = 4 }, new Sync<OcclusionProgress>(reports.Add));
        reports.Select(r => r.PositionsDone).Should().Equal(0, 4, 8, 9);
    }

    [Theory]
    [InlineData(65, 8, null, null, null, "size must be 1 to 64")]
    [InlineData(8, 0, null, null, null, "stride must be at least 1")]
    [InlineData(8, 8, null, 3, null, "without its layer")]
    [InlineData(8, 8, "conv9", null, null, "Unknown layer 'conv9'")]
    [InlineData(8, 8, "conv2", 999, null, "Unit 999 is out of range")]
    [InlineData(8, 8, null, null, 4, "Target class 4 is out of range")]
    public void Bad_options_are_user_errors_naming_the_problem(int size, int stride, string? layer, int? unit, int? target, string message)
    {
        var run = () => Occluder.Run(_models.Sample, SampleImage("circle"),
            new OcclusionOptions { Size = size, Stride = stride, Layer = layer, Unit = unit, TargetClass = target });
        run.Should().Throw<UnitScopeException>().WithMessage($"*{message}*");
    }

    [Fact]
    public void A_bad_fill_is_a_user_error()
    {
        var run = () => Occluder.Run(_models.Sample, SampleImage("circle"), new OcclusionOptions { FillRgb = [1, 2] });
        run.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument).WithMessage("*R,G,B*");
    }

    [Fact]
    public void Results_are_cached_by_checkpoint_image_and_parameters_but_not_batch_size()
    {
        using var folder = new Storage.StoreSamples.TempFolder();
        var store = new AnalysisStore(folder.Path);
        var image = SampleImage("square");
        var options = new OcclusionOptions { Size = 16, Stride = 8, BatchSize = 5 };
        var key = AnalysisKey.Occlusion(_models.Sample, Occluder.ImageHash(image), options);
        int computed = 0;
        var first = store.GetOrCompute(key, () => { computed++; return Occluder.Run(_models.Sample, image, options); }, out bool cached1);
        var again = store.GetOrCompute(AnalysisKey.Occlusion(_models.Sample, Occluder.ImageHash(image), options with { BatchSize = 64 }),
            () => { computed++; return Occluder.Run(_models.Sample, image, options); }, out bool cached2);
        (cached1, cached2, computed).Should().Be((false, true, 1));
        SameNumbers(again, first);
        again.Xs.Should().Equal(first.Xs);
        again.ClassNames.Should().Equal(first.ClassNames);

        AnalysisKey.Occlusion(_models.Sample, Occluder.ImageHash(image), options with { Stride = 4 }).Should().NotBe(key);
        AnalysisKey.Occlusion(_models.Sample, Occluder.ImageHash(image), options with { FillRgb = [0, 0, 0] }).Should().NotBe(key);
        AnalysisKey.Occlusion(_models.Sample, Occluder.ImageHash(SampleImage("circle")), options).Should().NotBe(key);
        AnalysisKey.Occlusion(_models.ResNet, Occluder.ImageHash(image), options).Should().NotBe(key);
        AnalysisKey.Occlusion(_models.Sample, Occluder.ImageHash(image), options with { Layer = "conv2" }).Should().NotBe(key);

        // A damaged entry is recomputed, not returned.
        File.WriteAllText(store.PathOf(key), "{\"format\":\"unitscope-analysis\"");
        store.TryGet<OcclusionResult>(key, out _).Should().BeFalse();
        File.Exists(store.PathOf(key)).Should().BeFalse();
    }

    sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
