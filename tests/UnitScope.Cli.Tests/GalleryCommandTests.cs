using SkiaSharp;

namespace UnitScope.Cli.Tests;

/// <summary><c>unitscope gallery</c> end to end on the bundled sample model over a small generated probe set.</summary>
public sealed class GalleryCommandTests : IDisposable
{
    static readonly string Model = Cli.Repo("samples/smallcnn.pth");
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-gallery-cli-" + Guid.NewGuid().ToString("N"));

    string Cache => Path.Combine(_root, "cache");
    string Out => Path.Combine(_root, "out");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string[] Args(params string[] extra) =>
        ["gallery", Model, "--data", "probe", "--probe-count", "24", "--probe-size", "64", "--out", Out, "--cache", Cache, "--device", "cpu", .. extra];

    [Fact]
    public void Gallery_writes_the_figure_json_and_page_and_reads_the_top_activations_from_the_cache_for_another_unit()
    {
        var first = Cli.Run(Args("--layer", "conv3", "--unit", "5"));
        first.Exit.Should().Be(0, first.ToString());
        first.Out.Should().Contain("conv3 unit 5").And.Contain("Deconvnet").And.Contain("index.html").And.NotContain("from the cache");
        using (var figure = SKBitmap.Decode(Path.Combine(Out, "gallery.png")))
            figure.Should().NotBeNull();
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().Contain("<img src=\"gallery.png\"");

        var second = Cli.Run(Args("--layer", "conv3", "--unit", "7", "--top", "4", "--method", "guided", "--json"));
        second.Exit.Should().Be(0, second.ToString());
        second.Json.GetProperty("cached").GetBoolean().Should().BeFalse("k is part of the top-activations key");
        var third = Cli.Run(Args("--layer", "conv3", "--unit", "9", "--top", "4", "--method", "guided", "--json"));
        third.Json.GetProperty("cached").GetBoolean().Should().BeTrue("one pass stored every unit of the layer");
        var projections = third.Json.GetProperty("result").GetProperty("projections");
        projections.GetProperty("method").GetString().Should().Be("GuidedBackprop");
        var items = projections.GetProperty("items");
        items.GetArrayLength().Should().Be(4);
        var values = items.EnumerateArray().Select(i => i.GetProperty("activation").GetProperty("value").GetDouble()).ToList();
        values.Should().BeInDescendingOrder();
        foreach (var item in items.EnumerateArray())
        {
            var box = item.GetProperty("box");
            item.GetProperty("values").GetArrayLength().Should().Be(3 * box.GetProperty("height").GetInt32() * box.GetProperty("width").GetInt32());
        }
    }

    [Theory]
    [InlineData("fc", "0", "auto", "'fc'*not spatial")]
    [InlineData("conv3", "64", "auto", "Unit 64*'conv3' has 64 units")]
    [InlineData("conv3", "0", "sideways", "--method 'sideways'")]
    public void User_errors_exit_2_naming_the_problem(string layer, string unit, string method, string message)
    {
        var run = Cli.Run(Args("--layer", layer, "--unit", unit, "--method", method, "--json"));
        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Match($"*{message}*");
        Directory.Exists(Path.Combine(Out)).Should().BeFalse("nothing is written for bad input");
    }
}
