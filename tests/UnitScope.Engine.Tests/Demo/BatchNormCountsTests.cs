using TorchSharp;
using UnitScope.Engine.Demo;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Demo;

/// <summary>
/// The demo trainings count BatchNorm batches themselves (TorchSharp's own counting makes temporary Scalars that can
/// be freed mid-call): the running statistics and the counters must come out as TorchSharp's counting leaves them.
/// </summary>
[Collection(ExactNumerics.Name)]
public class BatchNormCountsTests
{
    [Fact]
    public void Training_with_the_counters_taken_off_gives_the_same_statistics_checkpoint_keys_and_counts()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new torch.Generator(11);
        var batches = Enumerable.Range(0, 5).Select(i => torch.randn([6, 5, 3, 7], generator: generator).add(i)).ToList();
        using var counted = nn.BatchNorm2d(5);
        using var ours = nn.BatchNorm2d(5);
        counted.train();
        ours.train();

        foreach (var batch in batches) counted.call(batch);
        using (var counts = BatchNormCounts.TakeOff(nn.Sequential(("bn", ours))))
        {
            ours.num_batches_tracked.Should().BeNull("the layer must not count while taken off");
            foreach (var batch in batches)
            {
                ours.call(batch);
                counts.Step();
            }
        }

        ours.num_batches_tracked!.item<long>().Should().Be(5).And.Be(counted.num_batches_tracked!.item<long>());
        ours.running_mean!.eq(counted.running_mean!).all().item<bool>().Should().BeTrue("the same momentum update, bit for bit");
        ours.running_var!.eq(counted.running_var!).all().item<bool>().Should().BeTrue();
        ours.state_dict().Keys.Should().BeEquivalentTo(counted.state_dict().Keys);
        ours.eval();
        counted.eval();
        ours.call(batches[0]).eq(counted.call(batches[0])).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void A_layer_that_averages_by_its_count_keeps_it()
    {
        using var cumulative = nn.BatchNorm2d(3);
        cumulative.momentum = null;

        var takeOff = () => BatchNormCounts.TakeOff(cumulative);

        takeOff.Should().Throw<InvalidOperationException>().WithMessage("*without momentum*");
        cumulative.num_batches_tracked.Should().NotBeNull();
    }
}
