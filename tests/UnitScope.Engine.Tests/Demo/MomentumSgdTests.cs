using TorchSharp;
using UnitScope.Engine.Demo;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Demo;

/// <summary>
/// The demo's optimizer computes what TorchSharp's optim.SGD (torch.optim.SGD's algorithm) computes with the
/// same momentum and weight decay: the same parameters after each step, bit for bit, and its cosine schedule
/// the step sizes of optim.lr_scheduler.CosineAnnealingLR. Apart from other tests, whose gradient passes switch oneDNN
/// process-wide, and with oneDNN kept away where it computes this 3-channel convolution's backward pass wrong.
/// </summary>
[Collection(ExactNumerics.Name)]
public class MomentumSgdTests
{
    static nn.Module<Tensor, Tensor> Net(long seed)
    {
        torch.manual_seed(seed);
        return nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3));
    }

    static void Train(nn.Module<Tensor, Tensor> net, Action zeroGrad, Action step, Action<double> setRate, int steps)
    {
        using var backend = UnitScope.Engine.Runtime.OneDnnConvolutions.WrongOnThisMachine ? UnitScope.Engine.Runtime.OneDnnConvolutions.Avoid() : null;
        var generator = new torch.Generator(7);
        for (int i = 0; i < steps; i++)
        {
            using var scope = torch.NewDisposeScope();
            var x = torch.randn([5, 3, 8, 8], generator: generator);
            var y = torch.randint(0, 3, [5], generator: generator);
            zeroGrad();
            nn.functional.cross_entropy(net.call(x), y).backward();
            step();
            setRate(0.05 / (i + 2));
        }
    }

    [Fact]
    public void Steps_equal_torchsharp_sgd_with_momentum_and_weight_decay_bit_for_bit()
    {
        using var ours = Net(3);
        using var theirs = Net(3);
        using (var sgd = new MomentumSgd(ours.parameters(), 0.05, momentum: 0.9, weightDecay: 5e-4))
            Train(ours, sgd.ZeroGrad, sgd.Step, r => sgd.LearningRate = r, 6);
        var reference = torch.optim.SGD(theirs.parameters(), 0.05, momentum: 0.9, weight_decay: 5e-4);
        Train(theirs, reference.zero_grad, () => reference.step(), r => reference.ParamGroups.First().LearningRate = r, 6);

        var a = ours.parameters().ToList();
        var b = theirs.parameters().ToList();
        a.Should().HaveCount(b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            a[i].data<float>().ToArray().Should().Equal(b[i].data<float>().ToArray(), $"parameter {i}");
        }
        using var untouched = Net(3);
        a[0].data<float>().ToArray().Should().NotEqual(untouched.parameters().First().data<float>().ToArray(), "training moved the weights");
    }

    [Fact]
    public void Cosine_schedule_matches_torchsharp_cosine_annealing()
    {
        using var net = Net(1);
        var optimizer = torch.optim.SGD(net.parameters(), 0.01);
        var schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, 12);
        for (int step = 1; step <= 12; step++)
        {
            schedule.step();
            MomentumSgd.Cosine(0.01, step, 12).Should().BeApproximately(optimizer.ParamGroups.First().LearningRate, 1e-12, $"step {step}");
        }
        MomentumSgd.Cosine(0.01, 0, 12).Should().Be(0.01);
        MomentumSgd.Cosine(0.01, 12, 12).Should().BeApproximately(0, 1e-18);
    }
}
