using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Seeing;

/// <summary>The filters <c>unitscope filters</c> and the first layer's hover draw: the checkpoint's own weights, read
/// straight from the file (not through the loaded module) for the reference.</summary>
public class LayerFiltersTests
{
    [Theory]
    [InlineData("alexnet_small", "features.0", 3)]   // 11×11 filters over RGB
    [InlineData("smallcnn_mnist", "conv1", 1)]       // 3×3 over grey
    [InlineData("resnet18_small", "conv1", 3)]       // 7×7, the stem of a residual net
    public void The_first_convolutions_filters_are_the_checkpoints_weights(string model, string layer, int channels)
    {
        using var session = ModelSession.Load(ModelFixtures.Checkpoint(model), new ModelOptions { Device = "cpu" });
        LayerFilters.FirstConvolution(session).Should().Be(layer);
        var filters = LayerFilters.Read(session);

        using var file = CheckpointReader.Read(ModelFixtures.Checkpoint(model));
        var weight = file[layer + ".weight"];
        filters.Layer.Should().Be(layer);
        filters.Channels.Should().Be(channels);
        new long[] { filters.Filters, filters.Channels, filters.Height, filters.Width }.Should().Equal(weight.shape);
        var expected = weight.to(TorchSharp.torch.ScalarType.Float32).contiguous().data<float>().ToArray();
        filters.Values.Should().Equal(expected);
        filters.At(1, channels - 1, 2, 1).Should().Be(weight[1, channels - 1, 2, 1].item<float>());
    }

    [Fact]
    public void Layers_whose_filters_are_not_pictures_are_refused_by_name()
    {
        using var session = ModelSession.Load(ModelFixtures.Checkpoint("alexnet_small"), new ModelOptions { Device = "cpu" });
        FluentActions.Invoking(() => LayerFilters.Read(session, "features.3")).Should().Throw<UnitScopeException>()
            .Where(e => e.Kind == EngineErrorKind.InvalidArgument && e.Message.Contains("features.3") && e.Message.Contains("channels")
                && e.Message.Contains("features.0"));
        FluentActions.Invoking(() => LayerFilters.Read(session, "features.1")).Should().Throw<UnitScopeException>()
            .Where(e => e.Message.Contains("not a 2-D convolution"));
        FluentActions.Invoking(() => LayerFilters.Read(session, "features.99")).Should().Throw<UnitScopeException>()
            .Where(e => e.Kind == EngineErrorKind.UnknownLayer);
    }
}
