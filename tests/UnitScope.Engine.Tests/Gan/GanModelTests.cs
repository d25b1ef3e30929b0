using TorchSharp;
using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Models;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Gan;

/// <summary>
/// The GAN zoo (PyTorch's DCGAN generator, UnitScope's scene segmenter) loaded from checkpoints PyTorch wrote
/// (tests/fixtures/gan/make_gan_fixtures.py: odd widths 7, 20, 12 and 5, 9) computes what PyTorch computed, and a
/// generator is recognised as one: its input is the latent vector, sized from its first layer.
/// </summary>
[Collection(GanCollection.Name)]
public class GanModelTests
{
    static readonly string Folder = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "gan");

    [Fact]
    public void A_dcgan_state_dict_is_detected_and_loads_as_a_generator_of_its_latent_size()
    {
        using var session = ModelSession.Load(Path.Combine(Folder, "dcgan_odd.pth"), new ModelOptions { Device = "cpu" });

        session.Architecture.Should().Be("dcgan");
        session.IsGenerator.Should().BeTrue();
        session.LatentSize.Should().Be(7);
        session.GetLayer("main.5").OutputShape.Should().Equal(12, 8, 8);
        session.Layers.Select(l => l.Name).Should().Equal(["main", .. Enumerable.Range(0, 8).Select(i => $"main.{i}")], "named_modules() order");
    }

    [Theory]
    [InlineData("dcgan_odd", "dcgan", 1)]
    [InlineData("segmenter_odd", "scenesegmenter", 20)]
    public void Every_module_output_matches_pytorch(string fixture, string architecture, int inputSize)
    {
        using var scope = NewDisposeScope();
        using var checkpoint = CheckpointReader.Read(Path.Combine(Folder, fixture + ".pth"));
        using var reference = CheckpointReader.Read(Path.Combine(Folder, fixture + ".reference.safetensors"));
        ModelZoo.Detect(ParameterShapes.Of(checkpoint)).Should().Be(architecture);
        // Through the session: it keeps oneDNN away from the odd-channel convolutions it computes wrong on these CPUs.
        using var session = ModelSession.Load(Path.Combine(Folder, fixture + ".pth"), new ModelOptions { Device = "cpu", InputHeight = architecture == "dcgan" ? null : inputSize });
        session.Architecture.Should().Be(architecture);
        var layers = reference.Entries.Select(e => e.Key).Where(k => k.StartsWith("act/", StringComparison.Ordinal)).Select(k => k[4..]).ToList();
        layers.Should().NotBeEmpty();

        session.ForwardBatch(reference["input"], layers, pass =>
        {
            AssertClose(pass.Output, reference["output"], "output");
            foreach (string layer in layers)
                AssertClose(pass.Activations[layer], reference["act/" + layer], layer);
            return 0;
        });
    }

    [Fact]
    public void A_generator_is_refused_as_a_segmenter_and_a_classifier_as_a_generator()
    {
        using var generator = ModelSession.Load(Path.Combine(Folder, "dcgan_odd.pth"), new ModelOptions { Device = "cpu" });
        var labels = SegmenterLabels.For([("tone", ["bright", "dark"])]);
        var asSegmenter = () => new ModelSegmenter(generator, labels);
        asSegmenter.Should().Throw<UnitScopeException>().Which.Message.Should().Contain("latent vectors");

        using var segmenter = ModelSession.Load(Path.Combine(Folder, "segmenter_odd.pth"), new ModelOptions { Device = "cpu", InputHeight = 20 });
        segmenter.IsGenerator.Should().BeFalse();
        var dissect = () => GanDissector.Run(segmenter, new RuleSegmenter(), "stem.0", new GanDissectionOptions { Samples = 4 });
        dissect.Should().Throw<UnitScopeException>().Which.Message.Should().Contain("not an image generator");
    }

    [Fact]
    public void A_segmenter_whose_outputs_do_not_match_its_label_file_is_refused_naming_both_counts()
    {
        using var segmenter = ModelSession.Load(Path.Combine(Folder, "segmenter_odd.pth"), new ModelOptions { Device = "cpu", InputHeight = 20 });
        var labels = SegmenterLabels.For([("tone", ["bright", "dark"]), ("hue", ["red"])]);
        var wrap = () => new ModelSegmenter(segmenter, labels);
        wrap.Should().Throw<UnitScopeException>().Which.Message.Should().Contain("not 5 channels");

        // 9 outputs: two categories of 4 and 3 concepts.
        using var fits = new ModelSegmenter(segmenter, SegmenterLabels.For([("a", ["a1", "a2", "a3", "a4"]), ("b", ["b1", "b2", "b3"])]));
        using var scope = NewDisposeScope();
        var maps = fits.Segment(rand(3, 3, 13, 17));
        maps.Keys.Should().BeEquivalentTo(["a", "b"]);
        maps["a"].shape.Should().Equal(3, 13, 17);
        maps["a"].max().item<long>().Should().BeLessThanOrEqualTo(4);
        maps["b"].min().item<long>().Should().Match(v => v == 0 || v >= 5, "b's concepts are ids 5 to 7, none is 0");
    }

    static void AssertClose(Tensor actual, Tensor expected, string what)
    {
        actual.shape.Should().Equal(expected.shape, $"shape of {what}");
        double scale = Math.Max(expected.abs().max().item<float>(), 1e-6);
        double error = (actual.to(float32) - expected).abs().max().item<float>();
        (error / scale).Should().BeLessThanOrEqualTo(1e-4, $"{what}: max error {error} against max |value| {scale}");
    }
}
