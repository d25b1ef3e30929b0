using TorchSharp;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Models;
using UnitScope.Engine.Onnx;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Onnx;

/// <summary>ONNX models through ModelSession, and hooks on their taps doing what they do on zoo models.</summary>
public class OnnxSessionTests : IDisposable
{
    readonly OnnxFixtures.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_recognises_onnx_by_content_and_reports_it()
    {
        File.Copy(OnnxFixtures.Model("resnet18_small"), _temp.File("renamed.bin"));
        using var session = ModelSession.Load(_temp.File("renamed.bin"), new ModelOptions { Device = "cpu" });
        session.Architecture.Should().Be("onnx (torch_jit)");
        session.Input.Should().BeEquivalentTo(new InputSpec(3, 48, 48, InputSpec.ImageNetMean, InputSpec.ImageNetStd));
        session.ClassCount.Should().Be(10);
        session.CheckpointHash.Should().Be(CheckpointReader.ComputeHash(OnnxFixtures.Model("resnet18_small")));
        session.GetLayer("layer4.1.conv2").Should().BeEquivalentTo(new { Kind = "Conv", Units = 64, OutputShape = new[] { 64, 2, 2 } });
        session.GetLayer("layer4").Kind.Should().Be("Block");
    }

    [Fact]
    public void A_checkpoint_named_onnx_still_loads_as_a_checkpoint()
    {
        File.Copy(ModelFixtures.Checkpoint("smallcnn_cifar"), _temp.File("actually-a-pth.onnx"));
        using var session = ModelSession.Load(_temp.File("actually-a-pth.onnx"), new ModelOptions { Device = "cpu" });
        session.Architecture.Should().Be("smallcnn");
    }

    [Fact]
    public void Architecture_option_other_than_onnx_is_refused_for_an_onnx_model()
    {
        var load = () => ModelSession.Load(OnnxFixtures.Model("resnet18_small"), new ModelOptions { Device = "cpu", Architecture = "resnet18" });
        load.Should().Throw<UnitScopeException>().Which.Message.Should().Contain("is an ONNX model");
    }

    [Fact]
    public void A_model_fed_noise_is_refused_as_no_image_model()
    {
        var load = () => ModelSession.Load(Path.Combine(OnnxFixtures.Folder, "noise_generator.onnx"), new ModelOptions { Device = "cpu" });
        load.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.UnknownArchitecture
            && e.Message.Contains("[?, 16, 1, 1] has 16 channels") && e.Message.Contains("1 (grey) or 3 (RGB)"));
    }

    [Fact]
    public void Hash_covers_external_data()
    {
        using var session = ModelSession.Load(Path.Combine(OnnxFixtures.Folder, "custom_cnn_external.onnx"), new ModelOptions { Device = "cpu" });
        session.CheckpointHash.Should().MatchRegex("^[0-9a-f]{64}$")
            .And.NotBe(CheckpointReader.ComputeHash(Path.Combine(OnnxFixtures.Folder, "custom_cnn_external.onnx")));
    }

    /// <summary>
    /// The BatchNorm-preserving export of resnet18_small and the zoo model of the same checkpoint:
    /// every module path the zoo lists is a tap (except num_batches_tracked bookkeeping) and gives
    /// the same activations.
    /// </summary>
    [Fact]
    public void Onnx_and_zoo_models_of_the_same_weights_agree_on_every_layer()
    {
        using var scope = torch.NewDisposeScope();
        using var reference = OnnxFixtures.Reference("resnet18_small_bn");
        using var onnx = ModelSession.Load(OnnxFixtures.Model("resnet18_small_bn"), new ModelOptions { Device = "cpu" });
        using var zoo = ModelSession.Load(ModelFixtures.Checkpoint("resnet18_small"), new ModelOptions { Device = "cpu" });

        onnx.Layers.Select(l => l.Name).Should().BeEquivalentTo(zoo.Layers.Select(l => l.Name));
        var names = zoo.Layers.Select(l => l.Name).ToList();
        var ours = onnx.ForwardBatch(reference["input"], names, pass => names.ToDictionary(n => n, n => pass.Activations[n].clone().MoveToOuterDisposeScope()));
        var theirs = zoo.ForwardBatch(reference["input"], names, pass => names.ToDictionary(n => n, n => pass.Activations[n].clone().MoveToOuterDisposeScope()));
        foreach (string name in names)
            Check.Close(ours[name], theirs[name], name);
    }

    /// <summary>Ablation: a forward hook that zeroes a channel of a tap changes everything after it, exactly as on the zoo model.</summary>
    [Theory]
    [InlineData("layer1.0.conv1", 3)]
    [InlineData("layer2.0", 5)]
    [InlineData("layer3.1.relu", 0)]
    [InlineData("layer4", 7)]
    public void Zeroing_a_channel_by_hook_ablates_like_the_zoo_model(string layer, int channel)
    {
        using var scope = torch.NewDisposeScope();
        using var reference = OnnxFixtures.Reference("resnet18_small_bn");
        using var onnx = OnnxModel.Load(OnnxFixtures.Model("resnet18_small_bn"));
        using var checkpoint = CheckpointReader.Read(ModelFixtures.Checkpoint("resnet18_small"));
        using var zoo = ModelZoo.Build("resnet18", ParameterShapes.Of(checkpoint));
        WeightLoader.Load(zoo, checkpoint, "resnet18");
        using var noGrad = torch.no_grad();
        var input = reference["input"];

        Tensor Ablated(nn.Module<Tensor, Tensor> model)
        {
            var module = LayerCatalog.HookableModules(model)[layer];
            var remover = module.register_forward_hook((_, _, output) =>
            {
                var mask = torch.ones_like(output);
                mask[.., channel] = 0;
                return output * mask;
            });
            try
            {
                using var capture = new ActivationCapture(model, [layer]);
                var output = model.call(input);
                capture[layer][.., channel].abs().max().item<float>().Should().Be(0f, "the capture sees the ablated output");
                return output;
            }
            finally
            {
                remover.remove();
            }
        }

        var clean = onnx.call(input);
        var ablated = Ablated(onnx);
        (ablated - clean).abs().max().item<float>().Should().BeGreaterThan(1e-4f, "zeroing a channel changes the logits");
        Check.Close(ablated, Ablated(zoo), $"ablated {layer}:{channel}");
        Check.Close(onnx.call(input), clean, "after the hook is removed");
    }

    [Fact]
    public void Moving_to_a_device_keeps_the_model_working()
    {
        using var scope = torch.NewDisposeScope();
        using var reference = OnnxFixtures.Reference("custom_cnn_opset13");
        using var model = OnnxModel.Load(OnnxFixtures.Model("custom_cnn_opset13"));
        model.to(torch.CPU);
        model.to(torch.float64);
        using var noGrad = torch.no_grad();
        Check.Close(model.call(reference["input"].to(torch.float64)), reference["output"], "float64 output");
    }
}
