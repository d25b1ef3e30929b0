using SkiaSharp;

namespace UnitScope.Cli.Tests;

/// <summary><c>unitscope graph</c> end to end on the bundled sample model over a small generated probe set.</summary>
public sealed class GraphCommandTests : IDisposable
{
    static readonly string Model = Cli.Repo("samples/smallcnn.pth");
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-graph-cli-" + Guid.NewGuid().ToString("N"));

    string Cache => Path.Combine(_root, "cache");
    string Out => Path.Combine(_root, "out");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string[] Args(params string[] extra) =>
        ["graph", Model, "--data", "probe", "--probe-count", "24", "--probe-size", "64", "--iterations", "4", "--out", Out, "--cache", Cache, "--device", "cpu", .. extra];

    [Fact]
    public void Graph_writes_the_figures_json_and_page_runs_on_an_image_and_is_cached()
    {
        var first = Cli.Run(Args("--layers", "conv4,conv3", "--image", Cli.Repo("samples/images/circle.png")));
        first.Exit.Should().Be(0, first.ToString());
        first.Out.Should().Contain("conv4").And.Contain("explained").And.Contain("circle.png:").And.Contain("nodes fire").And.NotContain("from the cache");
        foreach (string png in new[] { "graph.png", "image-1.png" })
            using (var figure = SKBitmap.Decode(Path.Combine(Out, png)))
                figure.Should().NotBeNull(png);
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().Contain("<img src=\"graph.png\"").And.Contain("<img src=\"image-1.png\"");

        var second = Cli.Run(Args("--layers", "conv4,conv3", "--json"));
        second.Exit.Should().Be(0, second.ToString());
        second.Json.GetProperty("cached").GetBoolean().Should().BeTrue();
        var layers = second.Json.GetProperty("result").GetProperty("layers");
        layers.GetArrayLength().Should().Be(2);
        layers[0].GetProperty("name").GetString().Should().Be("conv4");
        layers[0].GetProperty("nodes").GetArrayLength().Should().BeGreaterThan(0);
        layers[1].GetProperty("edges").GetArrayLength().Should().BeGreaterThan(0);
        var explanation = second.Json.GetProperty("explanations")[1];
        double explained = explanation.GetProperty("explained").GetDouble();
        explained.Should().BeInRange(0, 1);
        explanation.GetProperty("byGroup").EnumerateArray().Sum(g => g.GetProperty("share").GetDouble()).Should().BeApproximately(explained, 1e-9);
    }

    [Theory]
    [InlineData("conv3,conv4", null, "*--layers*top down*conv4,conv3*")]
    [InlineData("conv4,fc", null, "*'fc'*no spatial maps*")]
    [InlineData("conv4,conv3", "no-such-scene", "*--class*'no-such-scene'*")]
    public void User_errors_exit_2_naming_the_argument(string layers, string? cls, string message)
    {
        var run = Cli.Run(Args(["--layers", layers, .. cls is null ? Array.Empty<string>() : ["--class", cls], "--json"]));
        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Match(message);
        Directory.Exists(Out).Should().BeFalse("nothing is written for bad input");
    }
}
