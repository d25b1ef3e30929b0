using TorchSharp;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Models;

/// <summary>
/// The zoo, loaded from checkpoints PyTorch wrote, computes what PyTorch computed: every module's
/// output and the logits, on the same inputs. "Relative" means max |ours − PyTorch| divided by
/// max |PyTorch| over the tensor. In the exact-numerics collection: one test compares two passes bit for bit.
/// </summary>
[Collection(ExactNumerics.Name)]
public class PyTorchAgreementTests
{
    const double RelativeTolerance = 1e-4;

    [Theory]
    [MemberData(nameof(ModelFixtures.Names), MemberType = typeof(ModelFixtures))]
    public void Every_module_output_matches_pytorch(string fixture)
    {
        var description = ModelFixtures.Describe(fixture);
        using var scope = torch.NewDisposeScope();
        using var checkpoint = CheckpointReader.Read(ModelFixtures.Checkpoint(fixture));
        using var reference = ModelFixtures.Reference(fixture);
        var shapes = ParameterShapes.Of(checkpoint);

        ModelZoo.Detect(shapes).Should().Be(description.Architecture);
        using var model = ModelZoo.Build(description.Architecture, shapes);
        WeightLoader.Load(model, checkpoint, description.Architecture);

        using var noGrad = torch.no_grad();
        var layerNames = description.Modules.Select(m => m.Name).ToList();
        using var capture = new ActivationCapture(model, layerNames);
        var output = model.call(reference["input"]);

        AssertClose(output, reference["output"], "output");
        foreach (string layer in layerNames)
            AssertClose(capture[layer], reference["act/" + layer], layer);
    }

    [Theory]
    [MemberData(nameof(ModelFixtures.Names), MemberType = typeof(ModelFixtures))]
    public void Layer_catalog_lists_what_pytorch_named_modules_lists(string fixture)
    {
        var description = ModelFixtures.Describe(fixture);
        using var checkpoint = CheckpointReader.Read(ModelFixtures.Checkpoint(fixture));
        using var model = ModelZoo.Build(description.Architecture, ParameterShapes.Of(checkpoint));

        var (layers, outputShape) = LayerCatalog.Describe(model, [description.InChannels, .. description.InputSize], torch.CPU);

        layers.Select(l => (l.Name, l.Kind, string.Join("x", l.OutputShape)))
            .Should().Equal(description.Modules.Select(m => (m.Name, m.Kind, string.Join("x", m.OutputShape))));
        layers.Should().OnlyContain(l => l.Units == l.OutputShape[0]);
        outputShape.Should().Equal(description.NumClasses);
    }

    [Fact]
    public void Legacy_format_checkpoint_gives_the_same_outputs()
    {
        using var scope = torch.NewDisposeScope();
        using var legacy = CheckpointReader.Read(Path.Combine(ModelFixtures.Folder, "smallcnn_cifar.legacy.pth"));
        using var reference = ModelFixtures.Reference("smallcnn_cifar");
        legacy.Format.Should().Be("pytorch-legacy");
        using var model = ModelZoo.Build("smallcnn", ParameterShapes.Of(legacy));
        WeightLoader.Load(model, legacy, "smallcnn");
        using var noGrad = torch.no_grad();
        AssertClose(model.call(reference["input"]), reference["output"], "output");
    }

    [Fact]
    public void Capturing_activations_leaves_the_model_unchanged()
    {
        using var scope = torch.NewDisposeScope();
        using var checkpoint = CheckpointReader.Read(ModelFixtures.Checkpoint("resnet18_small"));
        using var reference = ModelFixtures.Reference("resnet18_small");
        using var model = ModelZoo.Build("resnet18", ParameterShapes.Of(checkpoint));
        WeightLoader.Load(model, checkpoint, "resnet18");
        using var noGrad = torch.no_grad();
        var before = model.call(reference["input"]).clone();

        using (var capture = new ActivationCapture(model, ["layer2.0", "layer4.1.conv2", "relu"]))
        {
            model.call(reference["input"]);
            capture["layer4.1.conv2"].shape[1].Should().Be(64);
        }

        model.call(reference["input"]).eq(before).all().item<bool>().Should().BeTrue("outputs must be bit-for-bit the same");
        model.state_dict().Keys.Should().BeEquivalentTo(checkpoint.Keys);
    }

    static void AssertClose(Tensor actual, Tensor expected, string what)
    {
        actual.shape.Should().Equal(expected.shape, $"shape of {what}");
        double scale = Math.Max(expected.abs().max().item<float>(), 1e-6);
        double error = (actual.to(float32) - expected).abs().max().item<float>();
        (error / scale).Should().BeLessThanOrEqualTo(RelativeTolerance, $"{what}: max error {error} against max |value| {scale}");
    }
}
