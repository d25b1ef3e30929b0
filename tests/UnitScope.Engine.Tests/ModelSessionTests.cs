using System.Text.Json;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests;

/// <summary>
/// End to end through the Engine's entry point: PNG file → preprocessing → model → numbers, against
/// what PyTorch + PIL + torchvision computed for the bundled sample (sample_references.json).
/// </summary>
public class ModelSessionTests : IClassFixture<ModelSessionTests.SampleModel>
{
    public sealed class SampleModel : IDisposable
    {
        public readonly ModelSession Session = ModelSession.Load(Sample("smallcnn.pth"), new ModelOptions { Device = "cpu" });
        public void Dispose() => Session.Dispose();
    }

    sealed record UnitMapReference(string Layer, int Unit, int[] Shape, float[] Values);
    sealed record ImageReference(string Image, float[] Logits, UnitMapReference[] UnitMaps);
    sealed record References(string Checkpoint, ImageReference[] Images);

    static readonly References Expected = JsonSerializer.Deserialize<References>(
        File.ReadAllText(Path.Combine(ModelFixtures.Folder, "sample_references.json")), ModelFixtures.Json)!;

    readonly ModelSession _session;

    public ModelSessionTests(SampleModel sample) => _session = sample.Session;

    static string Sample(string file) => Path.Combine(ModelFixtures.RepoRoot, "samples", file);

    public static TheoryData<string> SampleImages() => new(Expected.Images.Select(i => i.Image));

    [Fact]
    public void Describes_the_sample_checkpoint()
    {
        _session.Architecture.Should().Be("smallcnn");
        _session.Input.Should().BeEquivalentTo(new InputSpec(3, 64, 64, InputSpec.ImageNetMean, InputSpec.ImageNetStd));
        _session.ClassNames.Should().Equal("circle", "square", "triangle", "cross");
        _session.DeviceName.Should().Be("cpu");
        _session.CheckpointHash.Should().MatchRegex("^[0-9a-f]{64}$");
        _session.GetLayer("conv4").Should().BeEquivalentTo(new { Name = "conv4", Kind = "Conv2d", Units = 64, OutputShape = new[] { 64, 8, 8 } });
        _session.GetLayer("fc").OutputShape.Should().Equal(4);
    }

    [Theory]
    [MemberData(nameof(SampleImages))]
    public void Predictions_match_pytorch_from_the_png_file(string image)
    {
        var expected = Expected.Images.Single(i => i.Image == image);
        var prediction = _session.Predict(ImageFile.Load(Sample("images/" + image)), top: 2);

        prediction.Logits.Should().Equal(expected.Logits, (a, b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(b)));
        prediction.Probabilities.Sum().Should().BeApproximately(1f, 1e-5f);
        prediction.Top.Should().HaveCount(2);
        prediction.Top[0].Label.Should().Be(Path.GetFileNameWithoutExtension(image), "the sample model classifies its own sample images");
        prediction.Top[0].Probability.Should().BeGreaterThanOrEqualTo(prediction.Top[1].Probability);
    }

    [Theory]
    [MemberData(nameof(SampleImages))]
    public void Unit_maps_match_pytorch_hooks(string image)
    {
        var expected = Expected.Images.Single(i => i.Image == image);
        var decoded = ImageFile.Load(Sample("images/" + image));
        foreach (var reference in expected.UnitMaps)
        {
            var map = _session.ComputeUnitMap(decoded, reference.Layer, reference.Unit);
            int[] shape = reference.Shape.Length == 2 ? reference.Shape : [1, 1];
            (map.Height, map.Width).Should().Be((shape[0], shape[1]), reference.Layer);
            float scale = Math.Max(1e-6f, reference.Values.Max(Math.Abs));
            map.Values.Zip(reference.Values, (a, b) => Math.Abs(a - b) / scale).Max()
                .Should().BeLessThan(1e-4f, $"{reference.Layer} unit {reference.Unit}");
            map.Min.Should().Be(map.Values.Min());
            map.Max.Should().Be(map.Values.Max());
            map.Mean.Should().BeApproximately(map.Values.Average(), 1e-5f);
        }
    }

    [Fact]
    public void Unit_out_of_range_says_how_many_units_the_layer_has()
    {
        var image = ImageFile.Load(Sample("images/circle.png"));
        var act = () => _session.ComputeUnitMap(image, "conv1", 16);
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.UnitOutOfRange)
            .WithMessage("Unit 16 is out of range: layer 'conv1' has 16 units (0–15).");
        var negative = () => _session.ComputeUnitMap(image, "conv1", -1);
        negative.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.UnitOutOfRange);
    }

    [Fact]
    public void Unknown_layer_suggests_close_names()
    {
        var act = () => _session.GetLayer("conv5");
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.UnknownLayer)
            .WithMessage("Unknown layer 'conv5'*closest: conv1*");
    }

    [Fact]
    public void Images_of_another_size_are_resized_to_the_input_size()
    {
        var small = ImageResize.Resize(ImageFile.Load(Sample("images/square.png")), 40, 30);
        var map = _session.ComputeUnitMap(small, "conv1", 0);
        (map.Height, map.Width).Should().Be((64, 64));
    }
}

public class ModelSessionLoadingTests
{
    static string Fixture(string file) => Path.Combine(ModelFixtures.Folder, file);

    [Fact]
    public void Grayscale_mnist_model_takes_one_channel_and_its_own_input_size()
    {
        using var session = ModelSession.Load(Fixture("smallcnn_mnist.pth"), new ModelOptions { InputHeight = 28, InputWidth = 28 });
        session.Input.Channels.Should().Be(1);
        session.Input.Mean.Should().HaveCount(1);
        session.GetLayer("conv2").OutputShape.Should().Equal(16, 14, 14);
        var rgb = ImageFile.Load(Path.Combine(ModelFixtures.RepoRoot, "samples", "images", "cross.png"));
        session.Predict(rgb).Probabilities.Should().HaveCount(10);
    }

    [Fact]
    public void Explicit_wrong_architecture_is_an_architecture_mismatch()
    {
        var act = () => ModelSession.Load(Fixture("resnet18_small.pth"), new ModelOptions { Architecture = "alexnet" });
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.ArchitectureMismatch)
            .WithMessage("*does not fit alexnet*use --arch resnet18, or leave --arch out.");
    }

    [Fact]
    public void Input_too_small_for_the_architecture_names_the_option()
    {
        var act = () => ModelSession.Load(Fixture("alexnet_small.pth"), new ModelOptions { InputHeight = 32 });
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument)
            .WithMessage("The model cannot run on 32x32 inputs (--input-size)*");
    }

    [Fact]
    public void Mean_with_the_wrong_number_of_values_is_refused()
    {
        var act = () => ModelSession.Load(Fixture("smallcnn_mnist.pth"), new ModelOptions { Mean = [0.5f, 0.5f, 0.5f] });
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument)
            .WithMessage("*mean (--mean) has 3 values*1-channel*");
    }

    [Fact]
    public void Missing_file_is_named()
    {
        var act = () => ModelSession.Load("/nonexistent/model.pth");
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.FileNotFound)
            .WithMessage("*/nonexistent/model.pth*");
    }

    [Fact]
    public void Same_file_gives_the_same_hash_and_another_file_another()
    {
        using var a = ModelSession.Load(Fixture("smallcnn_cifar.pth"), new ModelOptions { InputHeight = 32 });
        using var b = ModelSession.Load(Fixture("smallcnn_cifar.pth"), new ModelOptions { InputHeight = 32 });
        using var c = ModelSession.Load(Fixture("smallcnn_cifar.legacy.pth"), new ModelOptions { InputHeight = 32 });
        a.CheckpointHash.Should().Be(b.CheckpointHash);
        c.CheckpointHash.Should().NotBe(a.CheckpointHash);
        c.Layers.Should().BeEquivalentTo(a.Layers);
    }
}
