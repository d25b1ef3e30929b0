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

    [Fact]
    public void A_top_layer_that_never_fires_gives_empty_layers_not_an_error()
    {
        // conv4 (9×9) is all zeros in the constructed network: no peaks, no top nodes, so no parents below.
        var graph = ExplanatoryGraphAnalysis.Run(network.Session, new PartPatternNetwork.Images(6),
            new GraphOptions { Layers = ["conv4", "conv3", "conv2"], Iterations = 3 });
        graph.Layers.Select(l => l.Name).Should().Equal("conv4", "conv3", "conv2");
        graph.Layers[0].Nodes.Should().BeEmpty();
        graph.Layers[0].ExplainedShare.Should().Be(0);
        graph.Layers[2].Nodes.Should().BeEmpty("a lower node fires only where its parents do");
    }

    [Fact]
    public void Small_maps_keep_spreads_within_two_cells()
    {
        // At 24 px conv2's map is 12×12: two cells are a sixth of the input, more than the usual largest spread.
        using var small = ModelSession.Load(network.CheckpointPath, new ModelOptions
        {
            Device = "cpu", InputHeight = 24, InputWidth = 24, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f],
        });
        var graph = ExplanatoryGraphAnalysis.Run(small, new PartPatternNetwork.Images(8), new GraphOptions { Layers = ["conv2", "conv1"], Iterations = 3 });
        graph.Layers[0].Nodes.Should().NotBeEmpty();
        graph.Layers[0].Nodes.Should().OnlyContain(n => n.Spread >= 1.0 / 12 - 1e-12 && n.Spread <= 2.0 / 12 + 1e-12);
    }
}
