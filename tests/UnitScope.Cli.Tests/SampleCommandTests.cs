using SkiaSharp;

namespace UnitScope.Cli.Tests;

public class SampleCommandTests
{
    [Fact]
    public void Sample_prints_layers_and_writes_a_unit_map_png()
    {
        var outDir = Path.Combine(Path.GetTempPath(), $"unitscope-sample-{Guid.NewGuid():N}");
        try
        {
            var run = Cli.Run("sample", "--out", outDir, "--device", "cpu");
            run.Exit.Should().Be(0, run.ToString());
            run.Out.Should().Contain("conv4").And.Contain("Prediction").And.Contain(outDir);
            var pngs = Directory.GetFiles(outDir, "*.png");
            pngs.Should().HaveCount(2);
            foreach (var png in pngs)
            {
                using var bitmap = SKBitmap.Decode(png);
                (bitmap.Width, bitmap.Height).Should().Be((256, 256), "64×64 samples are drawn 4× larger");
            }
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public void Sample_with_a_chosen_image_layer_and_unit()
    {
        var outDir = Path.Combine(Path.GetTempPath(), $"unitscope-sample-{Guid.NewGuid():N}");
        try
        {
            var run = Cli.Run("sample", "--out", outDir, "--image", "triangle", "--layer", "conv2", "--unit", "3",
                "--samples", Cli.Repo("samples"), "--device", "cpu");
            run.Exit.Should().Be(0, run.ToString());
            File.Exists(Path.Combine(outDir, "triangle_conv2_u3_overlay.png")).Should().BeTrue(run.ToString());
        }
        finally
        {
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public void Samples_folder_without_the_checkpoint_is_a_user_error()
    {
        var run = Cli.Run("sample", "--samples", Path.GetTempPath());
        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Contain("--samples");
    }
}
