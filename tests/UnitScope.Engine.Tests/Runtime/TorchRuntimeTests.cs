using TorchSharp;
using UnitScope.Engine;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Runtime;

public class TorchRuntimeTests
{
    [Fact]
    public void Conv_forward_and_backward_run_on_the_cpu()
    {
        TorchRuntime.EnsureLoaded();
        // As the product runs every backward pass (ModelSession.BackwardConvolutionBackend): on a CPU whose oneDNN
        // computes odd-channel convolutions wrong, its backward path gave this 3-channel input a NaN gradient in CI.
        using var backend = OneDnnConvolutions.WrongOnThisMachine ? OneDnnConvolutions.Avoid() : null;
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var x = torch.randn(2, 3, 8, 8, requires_grad: true);
        var conv = nn.Conv2d(3, 4, 3, padding: 1);
        var y = conv.forward(x);
        y.shape.Should().Equal(2, 4, 8, 8);
        y.square().sum().backward();
        x.grad.Should().NotBeNull();
        x.grad!.abs().sum().item<float>().Should().BeGreaterThan(0f);
        conv.weight!.grad!.shape.Should().Equal(4, 3, 3, 3);
    }

    [Theory]
    [InlineData("cpu")]
    [InlineData("auto")]
    public void Cpu_and_auto_resolve_to_a_usable_device(string requested)
    {
        var device = TorchRuntime.ResolveDevice(requested);
        using var t = torch.ones(3, device: device);
        t.sum().item<float>().Should().Be(3f);
    }

    [Fact]
    public void Unknown_device_names_the_problem()
    {
        var act = () => TorchRuntime.ResolveDevice("tpu");
        act.Should().Throw<UnitScopeException>().WithMessage("*Unknown device 'tpu'*");
    }
}
