using System.Text.Json;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Models;

namespace UnitScope.Engine.Tests.Models;

public class ZooTests
{
    /// <summary>Every key and shape of the full-size torchvision models (from torchvision itself).</summary>
    static readonly Dictionary<string, Dictionary<string, long[]>> Torchvision =
        JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, long[]>>>(
            File.ReadAllText(Path.Combine(ModelFixtures.Folder, "torchvision_state_dicts.json")))!;

    public static TheoryData<string> TorchvisionArchitectures() => new(Torchvision.Keys);

    [Theory]
    [MemberData(nameof(TorchvisionArchitectures))]
    public void Detects_every_torchvision_architecture_from_its_keys_and_shapes(string architecture)
    {
        ModelZoo.Detect(new ParameterShapes(Torchvision[architecture])).Should().Be(architecture);
    }

    [Theory]
    [InlineData("alexnet")]
    [InlineData("vgg11_bn")]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    public void Builds_torchvision_models_with_torchvisions_exact_names_and_shapes(string architecture)
    {
        var expected = Torchvision[architecture];
        using var model = ModelZoo.Build(architecture, new ParameterShapes(expected));
        var actual = model.state_dict().ToDictionary(e => e.Key, e => e.Value.shape);
        actual.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (key, shape) in expected)
            actual[key].Should().Equal(shape, key);
    }

    [Fact]
    public void Unrelated_keys_are_not_taken_for_any_architecture()
    {
        var shapes = new ParameterShapes(new Dictionary<string, long[]>
        {
            ["encoder.0.weight"] = [8, 3, 3, 3],
            ["head.weight"] = [10, 8],
        });
        ModelZoo.Detect(shapes).Should().BeNull();
    }

    [Fact]
    public void Wrong_architecture_lists_the_offending_keys()
    {
        using var checkpoint = CheckpointReader.Read(ModelFixtures.Checkpoint("resnet18_small"));
        using var model = ModelZoo.Build("vgg16", ParameterShapes.Of(checkpoint));

        var act = () => WeightLoader.Load(model, checkpoint, "vgg16");

        act.Should().Throw<UnitScopeException>()
            .Where(e => e.Kind == EngineErrorKind.ArchitectureMismatch)
            .WithMessage("*does not fit vgg16*missing from the checkpoint: features.0.weight*not in vgg16: conv1.weight*");
    }

    [Fact]
    public void Deeper_variant_of_the_same_family_names_the_missing_blocks()
    {
        using var checkpoint = CheckpointReader.Read(ModelFixtures.Checkpoint("resnet18_small"));
        using var model = ModelZoo.Build("resnet34", ParameterShapes.Of(checkpoint));

        var act = () => WeightLoader.Load(model, checkpoint, "resnet34");

        act.Should().Throw<UnitScopeException>().WithMessage("*missing from the checkpoint: layer1.2.conv1.weight*");
    }

    [Fact]
    public void Shape_mismatch_names_the_key_and_both_shapes()
    {
        using var checkpoint = CheckpointReader.Read(ModelFixtures.Checkpoint("smallcnn_cifar"));
        // Widths taken from another checkpoint: every conv differs from this one's.
        using var other = CheckpointReader.Read(ModelFixtures.Checkpoint("smallcnn_mnist"));
        using var model = ModelZoo.Build("smallcnn", ParameterShapes.Of(other));

        var act = () => WeightLoader.Load(model, checkpoint, "smallcnn");

        act.Should().Throw<UnitScopeException>().WithMessage("*different shape: conv1.weight: checkpoint [8, 3, 3, 3], smallcnn [8, 1, 3, 3]*");
    }

    [Fact]
    public void Unknown_architecture_name_lists_the_known_ones()
    {
        var act = () => ModelZoo.Build("lenet", new ParameterShapes(new Dictionary<string, long[]>()));
        act.Should().Throw<UnitScopeException>().WithMessage("Unknown architecture 'lenet'. Known: smallcnn, alexnet, vgg11*resnet18*");
    }
}
