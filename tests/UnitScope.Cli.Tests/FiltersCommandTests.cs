using SkiaSharp;

namespace UnitScope.Cli.Tests;

/// <summary><c>unitscope filters</c>: the first convolution's filters as a grid of pictures.</summary>
public sealed class FiltersCommandTests : IDisposable
{
    readonly string _out = Path.Combine(Path.GetTempPath(), "unitscope-filters-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_out, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Filters_of_the_first_convolution_are_drawn_one_cell_each()
    {
        var run = Cli.Run("filters", Cli.Repo("tests/fixtures/models/alexnet_small.pth"), "--out", _out, "--device", "cpu", "--json");
        run.Exit.Should().Be(0, run.ToString());
        run.Json.GetProperty("layer").GetString().Should().Be("features.0");
        int filters = run.Json.GetProperty("filters").GetInt32();
        run.Json.GetProperty("channels").GetInt32().Should().Be(3);
        run.Json.GetProperty("size").EnumerateArray().Select(e => e.GetInt32()).Should().Equal(11, 11);
        using var grid = SKBitmap.Decode(Path.Combine(_out, "filters.png"));
        int columns = (int)Math.Ceiling(Math.Sqrt(filters)), rows = (filters + columns - 1) / columns;
        (grid.Width, grid.Height).Should().Be((2 + columns * (33 + 2), 2 + rows * (33 + 2)), "11×11 filters drawn 3 pixels a weight");
    }

    [Fact]
    public void A_layer_whose_filters_are_not_pictures_exits_2_naming_it()
    {
        var run = Cli.Run("filters", Cli.Repo("tests/fixtures/models/alexnet_small.pth"), "--layer", "features.3", "--out", _out, "--device", "cpu");
        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Contain("features.3").And.Contain("channels");
        File.Exists(Path.Combine(_out, "filters.png")).Should().BeFalse();
    }
}
