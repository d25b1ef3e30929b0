using SkiaSharp;

namespace UnitScope.Cli.Tests;

public class UnitMapCommandTests
{
    static void Check(ReferenceCase c)
    {
        var outPath = Path.Combine(Path.GetTempPath(), $"unitscope-test-{Guid.NewGuid():N}", "map.png");
        try
        {
            var run = Cli.Run(["unitmap", Cli.Repo(c.Model), "--image", Cli.Repo(c.Image), "--layer", c.UnitMap.Layer,
                "--unit", c.UnitMap.Unit.ToString(), "--out", outPath, "--json", .. c.ModelArgs]);
            run.Exit.Should().Be(0, run.ToString());
            var json = run.Json;
            json.GetProperty("min").GetSingle().Should().BeApproximately(c.UnitMap.Min, 1e-4f);
            json.GetProperty("max").GetSingle().Should().BeApproximately(c.UnitMap.Max, 1e-4f);
            json.GetProperty("mean").GetSingle().Should().BeApproximately(c.UnitMap.Mean, 1e-4f);
            json.GetProperty("mapHeight").GetInt32().Should().Be(c.UnitMap.Shape[0]);
            json.GetProperty("mapWidth").GetInt32().Should().Be(c.UnitMap.Shape[1]);

            using var image = SKBitmap.Decode(File.ReadAllBytes(Cli.Repo(c.Image)));
            using var written = SKBitmap.Decode(outPath);
            written.Should().NotBeNull("the output must be a decodable PNG");
            (written.Width, written.Height).Should().Be((image.Width, image.Height));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(outPath)!, recursive: true);
        }
    }

    [Fact] public void Rgb_model_map_matches_pytorch_and_png_has_the_image_size() => Check(ReferenceCase.Get("cifar"));
    [Fact] public void Gray_model_map_matches_pytorch_and_png_has_the_image_size() => Check(ReferenceCase.Get("mnist"));

    [Fact]
    public void Text_output_prints_the_statistics_and_the_path()
    {
        var c = ReferenceCase.Get("cifar");
        var outPath = Path.Combine(Path.GetTempPath(), $"unitscope-test-{Guid.NewGuid():N}.png");
        try
        {
            var run = Cli.Run(["unitmap", Cli.Repo(c.Model), "--image", Cli.Repo(c.Image), "--layer", "conv1", "--unit", "0",
                "--out", outPath, "--colormap", "inferno", "--opacity", "0.8", .. c.ModelArgs]);
            run.Exit.Should().Be(0, run.ToString());
            run.Out.Should().Contain("min").And.Contain("max").And.Contain("mean").And.Contain(outPath);
            File.Exists(outPath).Should().BeTrue();
        }
        finally
        {
            File.Delete(outPath);
        }
    }
}
