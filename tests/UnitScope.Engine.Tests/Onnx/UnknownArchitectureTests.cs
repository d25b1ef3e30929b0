using UnitScope.Engine.Models;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Onnx;

/// <summary>A state_dict no zoo architecture takes: the error names the nearest ones and says how to export to ONNX.</summary>
public class UnknownArchitectureTests : IDisposable
{
    readonly OnnxFixtures.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Nearest_candidates_come_from_the_keys()
    {
        // resnet18's keys with one block of layer4 gone: no longer any zoo ResNet, nearest resnet18.
        var shapes = new Dictionary<string, long[]>();
        foreach (var (name, shape) in TorchvisionShapes("resnet18").Where(k => !k.Key.StartsWith("layer4.1.", StringComparison.Ordinal)))
            shapes[name] = shape;
        var nearest = ModelZoo.Nearest(new ParameterShapes(shapes));
        nearest[0].Name.Should().Be("resnet18");
        nearest[0].Missing.Should().Be(10);
        nearest[0].Extra.Should().Be(0);

        var error = ModelZoo.UnknownArchitecture("cut.pth", new ParameterShapes(shapes));
        error.Kind.Should().Be(EngineErrorKind.UnknownArchitecture);
        error.Message.Should().Contain("Nearest zoo architectures by their keys: resnet18 (")
            .And.Contain("torch.onnx.export(model, torch.randn(1, 3, H, W), \"model.onnx\")");
    }

    [Theory]
    [InlineData("vgg16_bn")]
    [InlineData("alexnet")]
    [InlineData("resnet50")]
    public void Every_key_of_a_torchvision_model_matches_its_own_pattern(string architecture)
    {
        var shapes = new ParameterShapes(TorchvisionShapes(architecture));
        var best = ModelZoo.Nearest(shapes)[0];
        (best.Name, best.Missing, best.Extra).Should().Be((architecture, 0, 0));
    }

    [Fact]
    public void Load_of_an_unknown_state_dict_says_so()
    {
        var bytes = File.ReadAllBytes(Path.Combine(ModelFixtures.Folder, "..", "checkpoints", "tiny.safetensors"));
        string path = _temp.Write("tiny.safetensors", bytes);
        var load = () => ModelSession.Load(path, new ModelOptions { Device = "cpu" });
        var error = load.Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(EngineErrorKind.UnknownArchitecture);
        error.Message.Should().Contain("torch.onnx.export").And.Contain("Known architectures");
    }

    static Dictionary<string, long[]> TorchvisionShapes(string architecture)
    {
        var all = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, long[]>>>(
            File.ReadAllText(Path.Combine(ModelFixtures.Folder, "torchvision_state_dicts.json")))!;
        return all[architecture];
    }
}
