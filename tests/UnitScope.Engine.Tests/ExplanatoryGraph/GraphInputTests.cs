using UnitScope.Engine.Analysis.ExplanatoryGraph;

namespace UnitScope.Engine.Tests.ExplanatoryGraph;

/// <summary>Bad input to the explanatory graph: each an error naming the argument, raised before any forward pass.</summary>
public sealed class GraphInputTests(PartPatternNetwork network) : IClassFixture<PartPatternNetwork>
{
    UnitScopeException Error(GraphOptions options, int images = 10)
    {
        var run = () => ExplanatoryGraphAnalysis.Run(network.Session, new PartPatternNetwork.Images(images), options);
        return run.Should().Throw<UnitScopeException>().Which;
    }

    [Fact]
    public void A_layer_without_spatial_maps_is_named()
    {
        var error = Error(new GraphOptions { Layers = ["conv3", "fc"] });
        error.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        error.Message.Should().Contain("'fc'").And.Contain("--layers").And.Contain("no spatial maps");
    }

    [Fact]
    public void Layers_not_from_the_top_down_are_refused_with_the_order_to_use()
    {
        var error = Error(new GraphOptions { Layers = ["conv2", "conv3"] });
        error.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        error.Message.Should().Contain("--layers").And.Contain("top down").And.Contain("conv3,conv2");
    }

    [Fact]
    public void Too_few_images_are_refused()
    {
        var error = Error(new GraphOptions { Layers = ["conv3", "conv2"] }, images: 2);
        error.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        error.Message.Should().Contain("--data").And.Contain("at least 3");
    }

    [Fact]
    public void No_layer_a_repeated_layer_and_an_unknown_layer_are_refused()
    {
        Error(new GraphOptions { Layers = [] }).Message.Should().Contain("--layers");
        Error(new GraphOptions { Layers = ["conv3", "conv3"] }).Message.Should().Contain("twice");
        Error(new GraphOptions { Layers = ["conv9"] }).Kind.Should().Be(EngineErrorKind.UnknownLayer);
    }

    [Theory]
    [InlineData(0, 15, 20, 5, 0.1, "--patterns")]
    [InlineData(3, 0, 20, 5, 0.1, "--parents")]
    [InlineData(3, 15, 0, 5, 0.1, "--iterations")]
    [InlineData(3, 15, 20, 0, 0.1, "--peaks")]
    [InlineData(3, 15, 20, 5, 1.0, "--peak-threshold")]
    public void Parameters_out_of_range_are_named(int patterns, int parents, int iterations, int peaks, double threshold, string flag)
    {
        var error = Error(new GraphOptions
        {
            Layers = ["conv3", "conv2"], PatternsPerFilter = patterns, ParentsPerNode = parents, Iterations = iterations,
            PeaksPerMap = peaks, PeakThreshold = threshold,
        });
        error.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        error.Message.Should().Contain(flag);
    }
}
