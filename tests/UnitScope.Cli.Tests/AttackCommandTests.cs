using SkiaSharp;

namespace UnitScope.Cli.Tests;

/// <summary><c>unitscope attack</c> end to end on the bundled sample model (four shape classes) and its images.</summary>
public sealed class AttackCommandTests : IDisposable
{
    static readonly string Model = Cli.Repo("samples/smallcnn.pth");
    static readonly string[] Shapes = ["circle", "square", "triangle", "cross"];
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-attack-cli-" + Guid.NewGuid().ToString("N"));

    string Cache => Path.Combine(_root, "cache");
    string Out => Path.Combine(_root, "out");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>An image folder with the samples' classes: each shape image, and two mirrored copies of it.</summary>
    string ShapeFolder()
    {
        string folder = Path.Combine(_root, "shapes");
        foreach (string shape in Shapes)
        {
            string dir = Directory.CreateDirectory(Path.Combine(folder, shape)).FullName;
            using var image = SKBitmap.Decode(Cli.Repo($"samples/images/{shape}.png"));
            for (int copy = 0; copy < 3; copy++)
            {
                using var mirrored = new SKBitmap(image.Width, image.Height);
                for (int y = 0; y < image.Height; y++)
                    for (int x = 0; x < image.Width; x++)
                        mirrored.SetPixel(x, y, image.GetPixel(copy == 1 ? image.Width - 1 - x : x, copy == 2 ? image.Height - 1 - y : y));
                using var png = mirrored.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(dir, $"{shape}-{copy}.png"), png.ToArray());
            }
        }
        return folder;
    }

    static byte[] Rgb(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        var bytes = new byte[bitmap.Width * bitmap.Height * 3];
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                int o = (y * bitmap.Width + x) * 3;
                (bytes[o], bytes[o + 1], bytes[o + 2]) = (c.Red, c.Green, c.Blue);
            }
        return bytes;
    }

    [Fact]
    public void An_image_attack_writes_images_within_epsilon_and_ranks_the_changed_units()
    {
        var run = Cli.Run("attack", Model, "--image", Cli.Repo("samples/images/circle.png"), "--layer", "conv4", "--method", "pgd",
            "--eps", "6/255", "--steps", "5", "--out", Out, "--cache", Cache, "--device", "cpu", "--json");
        run.Exit.Should().Be(0, run.ToString());
        var attack = run.Json.GetProperty("attack");
        attack.GetProperty("epsilonLevels").GetInt32().Should().Be(6);
        var image = attack.GetProperty("images")[0];
        image.GetProperty("maxChange").GetInt32().Should().BeInRange(1, 6);
        run.Json.GetProperty("changes").GetProperty("units").GetArrayLength().Should().Be(64, "conv4 of the sample SmallCNN has 64 units");
        run.Json.GetProperty("overlaps").GetArrayLength().Should().Be(0, "no --data: nothing to rank on");

        byte[] clean = Rgb(Path.Combine(Out, "clean.png")), attacked = Rgb(Path.Combine(Out, "attacked.png"));
        clean.Zip(attacked, (a, b) => Math.Abs(a - b)).Max().Should().Be(image.GetProperty("maxChange").GetInt32(), "the PNGs hold the attacked bytes");
        File.Exists(Path.Combine(Out, "perturbation.png")).Should().BeTrue();
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().Contain("<img src=\"attacked.png\"").And.Contain("perturbation.png");
    }

    [Fact]
    public void A_class_attack_compares_the_changed_units_with_the_classes_rankings()
    {
        var run = Cli.Run("attack", Model, "--data", ShapeFolder(), "--class", "circle", "--layer", "conv4", "--method", "fgsm",
            "--eps", "0.1", "--target", "cross", "--top", "8", "--out", Out, "--cache", Cache, "--device", "cpu");
        run.Exit.Should().Be(0, run.ToString());
        run.Out.Should().Contain("FGSM, towards class 3").And.Contain("of 3 images").And.Contain("source class circle").And.Contain("target class cross");
        foreach (string file in new[] { "attacked-001.png", "perturbation-003.png", "attack.json", "units.json" })
            File.Exists(Path.Combine(Out, file)).Should().BeTrue(file);
    }

    [Theory]
    [InlineData("--eps", "0.001", 2, "*epsilon (--eps)*1/255*")]
    [InlineData("--eps", "eight", 1, "*--eps 'eight'*8/255*")]
    [InlineData("--target", "hexagon", 2, "*--target 'hexagon'*")]
    [InlineData("--method", "cw", 1, "*--method 'cw'*fgsm or pgd*")]
    public void User_errors_exit_with_a_message_naming_the_option(string option, string value, int exit, string message)
    {
        var run = Cli.Run("attack", Model, "--image", Cli.Repo("samples/images/square.png"), "--layer", "conv4", option, value,
            "--out", Out, "--cache", Cache, "--device", "cpu", "--json");
        run.Exit.Should().Be(exit, run.ToString());
        run.Err.Should().Match(message);
        Directory.Exists(Out).Should().BeFalse("nothing is written for bad input");
    }
}
