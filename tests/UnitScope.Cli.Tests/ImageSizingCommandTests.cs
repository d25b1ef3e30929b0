using SkiaSharp;

namespace UnitScope.Cli.Tests;

/// <summary>
/// <c>predict</c>, <c>unitmap</c> and <c>occlude</c> size their image as the model's description file says
/// (<c>resize</c>, <c>centerCrop</c>), <c>--resize</c> / <c>--crop</c> winning setting by setting: the model sees, and
/// the pictures show, the sized image; occlusion's cache follows the sizing. The models are byte-identical copies
/// of the sample SmallCNN (64×64 input); the image is a sample shape centred on a 96×64 grey canvas, so its centre
/// 64×64 crop is the sample itself.
/// </summary>
public sealed class ImageSizingCommandTests : IDisposable
{
    static readonly string Circle = Cli.Repo("samples/images/circle.png");
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-sizing-cli-" + Guid.NewGuid().ToString("N"));

    public ImageSizingCommandTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string Cache => Path.Combine(_root, "cache");

    string Model(string name, string? description = null)
    {
        string path = Path.Combine(_root, name + ".pth");
        File.Copy(Cli.Repo("samples/smallcnn.pth"), path);
        File.Copy(Cli.Repo("samples/smallcnn.classes.txt"), Path.Combine(_root, name + ".classes.txt"));
        if (description is not null) File.WriteAllText(Path.Combine(_root, name + ".unitscope.json"), description);
        return path;
    }

    /// <summary>circle.png centred on a grey canvas 16 pixels wider on each side.</summary>
    string Wide()
    {
        using var source = SKBitmap.Decode(Circle);
        using var wide = new SKBitmap(source.Width + 32, source.Height);
        using (var canvas = new SKCanvas(wide))
        {
            canvas.Clear(new SKColor(128, 128, 128));
            canvas.DrawBitmap(source, 16, 0, new SKSamplingOptions(SKFilterMode.Nearest), null);
        }
        string path = Path.Combine(_root, "circle-wide.png");
        using var data = wide.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    static float[] Logits(CliRun run) => [.. run.Json.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle())];

    static (int? Resize, int[]? Crop) Sizing(CliRun run)
    {
        var p = run.Json.GetProperty("preprocessing"); // --json leaves out what is null
        return (p.TryGetProperty("resize", out var resize) ? resize.GetInt32() : null,
            p.TryGetProperty("centerCrop", out var crop) ? [.. crop.EnumerateArray().Select(v => v.GetInt32())] : null);
    }

    static (int Width, int Height) PngSize(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        bitmap.Should().NotBeNull(path);
        return (bitmap.Width, bitmap.Height);
    }

    [Fact]
    public void Predict_sees_the_image_cropped_as_the_description_says_unless_the_flags_say_otherwise()
    {
        string described = Model("m", """{ "centerCrop": 64 }"""), plain = Model("plain"), wide = Wide();
        CliRun Predict(string model, string image, params string[] extra) =>
            Cli.Run(["predict", model, "--image", image, "--json", "--device", "cpu", .. extra]);

        var manual = Predict(plain, Circle);
        manual.Exit.Should().Be(0, manual.ToString());
        var sized = Predict(described, wide);
        sized.Exit.Should().Be(0, sized.ToString());
        Logits(sized).Should().Equal(Logits(manual), "the centre crop of the wide image is circle.png");
        sized.Json.GetProperty("top")[0].GetProperty("label").GetString().Should().Be("circle");
        Sizing(sized).Should().BeEquivalentTo(((int?)null, new[] { 64, 64 }));
        (sized.Json.GetProperty("imageWidth").GetInt32(), sized.Json.GetProperty("imageHeight").GetInt32()).Should().Be((64, 64));
        sized.Err.Should().Contain("Image circle-wide.png (96×64): centre crop 64x64 (crop from m.unitscope.json), giving 64×64.");

        var squashed = Predict(plain, wide);
        squashed.Exit.Should().Be(0, squashed.ToString());
        Logits(squashed).Should().NotEqual(Logits(manual), "without a description the whole wide image is resized to the input");
        Sizing(squashed).Should().BeEquivalentTo(((int?)null, (int[]?)null));
        squashed.Err.Should().NotContain("circle-wide.png", "nothing to say when the image goes in as decoded");

        var flags = Predict(plain, wide, "--resize", "64", "--crop", "64");
        Logits(flags).Should().Equal(Logits(manual), "the flags alone size it the same way");
        flags.Err.Should().Contain("resize 64, centre crop 64x64, giving 64×64").And.NotContain("from m.unitscope.json");

        var overridden = Predict(described, wide, "--crop", "48x40");
        overridden.Exit.Should().Be(0, overridden.ToString());
        Sizing(overridden).Should().BeEquivalentTo(((int?)null, new[] { 48, 40 }), "--crop wins over the saved crop");
        Logits(overridden).Should().NotEqual(Logits(sized));
    }

    [Fact]
    public void Unitmap_draws_the_map_over_the_sized_image()
    {
        string described = Model("m", """{ "resize": 64, "centerCrop": [48, 40] }"""), wide = Wide();
        string outPath = Path.Combine(_root, "map.png");
        var run = Cli.Run("unitmap", described, "--image", wide, "--layer", "conv3", "--unit", "5", "--out", outPath, "--json", "--device", "cpu");
        run.Exit.Should().Be(0, run.ToString());
        (run.Json.GetProperty("outWidth").GetInt32(), run.Json.GetProperty("outHeight").GetInt32()).Should().Be((40, 48));
        PngSize(outPath).Should().Be((40, 48), "the overlay is the cropped image, not the 96×64 file");
        Sizing(run).Should().BeEquivalentTo(((int?)64, new[] { 48, 40 }));

        var asDecoded = Cli.Run("unitmap", described, "--image", wide, "--layer", "conv3", "--unit", "5", "--out", outPath, "--json", "--device", "cpu",
            "--crop", "64x96");
        asDecoded.Exit.Should().Be(0, asDecoded.ToString());
        PngSize(outPath).Should().Be((96, 64), "resize 64 keeps the 96×64 image, and a 64x96 crop of it is all of it");
        asDecoded.Json.GetProperty("min").GetSingle().Should().NotBe(run.Json.GetProperty("min").GetSingle());
    }

    [Fact]
    public void Occlude_draws_over_the_sized_image_and_caches_by_the_sizing()
    {
        string described = Model("m", """{ "centerCrop": [48, 40] }"""), plain = Model("plain"), wide = Wide();
        string outDir = Path.Combine(_root, "out");
        CliRun Occlude(string model, params string[] extra) => Cli.Run(["occlude", model, "--image", wide, "--size", "16", "--stride", "16",
            "--out", outDir, "--cache", Cache, "--device", "cpu", "--json", .. extra]);

        var first = Occlude(described);
        first.Exit.Should().Be(0, first.ToString());
        first.Json.GetProperty("cached").GetBoolean().Should().BeFalse();
        foreach (string png in new[] { "probability.png", "classes.png", "unit.png" })
            PngSize(Path.Combine(outDir, png)).Should().Be((40, 48), "{0} is drawn over the cropped image", png);
        Sizing(first).Should().BeEquivalentTo(((int?)null, new[] { 48, 40 }));
        first.Json.GetProperty("result").GetProperty("inputWidth").GetInt32().Should().Be(64, "positions stay in model-input pixels");

        var unsized = Occlude(plain);
        unsized.Exit.Should().Be(0, unsized.ToString());
        unsized.Json.GetProperty("cached").GetBoolean().Should().BeFalse("the same bytes and file, unsized: another image, another key");
        PngSize(Path.Combine(outDir, "probability.png")).Should().Be((96, 64));

        Occlude(described, "--crop", "40").Json.GetProperty("cached").GetBoolean().Should().BeFalse("another crop is another image");
        Occlude(described).Json.GetProperty("cached").GetBoolean().Should().BeTrue();
        var sameByFlag = Occlude(plain, "--crop", "48x40");
        sameByFlag.Json.GetProperty("cached").GetBoolean().Should().BeTrue("the key is the sized image, however its sizing was chosen");
        sameByFlag.Json.GetProperty("result").GetProperty("targetProbability").EnumerateArray().Select(e => e.GetSingle())
            .Should().Equal(first.Json.GetProperty("result").GetProperty("targetProbability").EnumerateArray().Select(e => e.GetSingle()));
    }

    [Theory]
    [InlineData("--crop", "abc", "--crop 'abc' is not a size")]
    [InlineData("--crop", "0", "--crop '0' is not a size")]
    [InlineData("--resize", "0", "--resize must be 1 to 16384 pixels")]
    public void Bad_sizing_flags_are_user_errors_naming_the_flag(string flag, string value, string message)
    {
        var run = Cli.Run("predict", Cli.Repo("samples/smallcnn.pth"), "--image", Circle, "--device", "cpu", flag, value);
        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Contain(message);
    }
}
