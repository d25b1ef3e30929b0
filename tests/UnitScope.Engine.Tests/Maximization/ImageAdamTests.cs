using TorchSharp;
using UnitScope.Engine.Analysis.Maximization;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Maximization;

/// <summary>The image optimiser computes what TorchSharp's optim.Adam computes (torch.optim.Adam's algorithm), bit for bit.</summary>
public class ImageAdamTests
{
    /// <summary>A made-up loss whose gradient changes from step to step: Σ sin(p)·w + |p|².</summary>
    static Tensor Loss(Tensor p, Tensor w) => p.sin().mul(w).sum().add(p.pow(2).sum());

    [Theory]
    [InlineData(0.1, 1e-6)]
    [InlineData(0.03, 0.0)]
    public void Steps_equal_torchsharp_adam_bit_for_bit(double rate, double weightDecay)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        var start = randn([1, 3, 7, 11], generator: generator);
        var w = randn([1, 3, 7, 11], generator: generator);

        var ours = start.clone().requires_grad_(true);
        using (var adam = new ImageAdam(ours, rate, weightDecay))
            for (int i = 0; i < 9; i++)
            {
                var g = autograd.grad([Loss(ours, w)], [ours])[0];
                adam.Step(g);
            }

        var theirs = new TorchSharp.Modules.Parameter(start.clone());
        var reference = optim.Adam([theirs], rate, weight_decay: weightDecay);
        for (int i = 0; i < 9; i++)
        {
            reference.zero_grad();
            Loss(theirs, w).backward();
            reference.step();
        }

        ours.detach().data<float>().ToArray().Should().Equal(theirs.detach().data<float>().ToArray());
        ours.detach().data<float>().ToArray().Should().NotEqual(start.data<float>().ToArray(), "the steps moved the image");
    }
}
