using UnitScope.Engine.Analysis;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests;

public class GradientPassTests
{
    [Fact]
    public void A_pass_stopped_after_a_layer_gives_that_layers_output_and_leaves_the_model_as_it_was()
    {
        using var model = ModelSession.Load(ModelFixtures.Checkpoint("resnet18_small"), new ModelOptions { Device = "cpu" });
        var requiresGrad = model.Module.parameters().Select(p => p.requires_grad).ToList();
        using var scope = NewDisposeScope();
        var input = randn(2, 3, 48, 48, generator: new TorchSharp.torch.Generator(7));
        float[] expected = model.ForwardBatch(input, ["layer2"], pass => pass.Activations["layer2"].contiguous().data<float>().ToArray());

        var leaf = input.clone().requires_grad_(true);
        var (stopped, gradient) = model.ForwardWithGradient(leaf, ["layer2"], pass =>
        {
            var g = autograd.grad([pass.Activations["layer2"].sum()], [leaf])[0];
            return (pass.Output.detach().contiguous().data<float>().ToArray(), g.abs().sum().item<float>());
        }, stopAfter: "layer2");

        // Equal up to rounding: a pass that goes backwards may run its convolutions without oneDNN (ModelSession).
        stopped.Should().HaveCount(expected.Length);
        float scale = expected.Max(Math.Abs);
        stopped.Zip(expected, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-5f * scale);
        gradient.Should().BeGreaterThan(0);
        model.Module.parameters().Select(p => p.requires_grad).Should().Equal(requiresGrad);
        model.Module.parameters().All(p => p.grad is null).Should().BeTrue("only the input's gradient is computed");
    }

    [Fact]
    public void Output_edits_apply_in_order_for_that_pass_only()
    {
        using var model = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { Device = "cpu" });
        using var scope = NewDisposeScope();
        var input = randn(1, 3, 32, 32, generator: new TorchSharp.torch.Generator(3));
        var (edited, count) = model.ForwardWithGradient(input, ["conv1"], pass => (pass.Activations["conv1"].sum().item<float>(), pass.Activations["conv1"].numel()),
            [new OutputEdit("conv1", o => ones_like(o)), new OutputEdit("conv1", o => o.add(o, UnitScope.Engine.Runtime.Scalars.One))]);
        float plain = model.ForwardBatch(input, ["conv1"], pass => pass.Activations["conv1"].sum().item<float>());

        edited.Should().Be(2f * count, "the second edit doubles what the first made");
        plain.Should().NotBe(edited);
    }
}
