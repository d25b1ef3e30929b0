using SkiaSharp;

namespace UnitScope.Cli.Tests;

/// <summary>
/// <c>unitscope occlude</c>, <c>ablate</c> and <c>rank</c> end to end on the bundled sample model (shapes at 64 px)
/// with an image folder made from its sample images, and on a fixture with the generated probe set: files
/// written, JSON on stdout only, the cache read back, user errors with exit code 2, Ctrl-C with 130.
/// </summary>
public sealed class AnalysisCommandTests : IDisposable
{
    static readonly string Model = Cli.Repo("samples/smallcnn.pth");
    static readonly string Circle = Cli.Repo("samples/images/circle.png");
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-analysis-cli-" + Guid.NewGuid().ToString("N"));

    string Cache => Path.Combine(_root, "cache");
    string Out => Path.Combine(_root, "out");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>An image folder of the four sample shapes, each shifted a few ways: 4 classes × 5 images.</summary>
    string Shapes()
    {
        string folder = Path.Combine(_root, "shapes");
        foreach (string shape in new[] { "circle", "cross", "square", "triangle" })
        {
            Directory.CreateDirectory(Path.Combine(folder, shape));
            using var source = SKBitmap.Decode(Cli.Repo($"samples/images/{shape}.png"));
            for (int i = 0; i < 5; i++)
            {
                using var shifted = new SKBitmap(source.Width, source.Height);
                using (var canvas = new SKCanvas(shifted))
                {
                    canvas.Clear(source.GetPixel(0, 0));
                    canvas.DrawBitmap(source, (i - 2) * 3, (2 - i) * 2, new SKSamplingOptions(SKFilterMode.Nearest), null);
                }
                using var data = shifted.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(folder, shape, $"{i}.png"), data.ToArray());
            }
        }
        return folder;
    }

    [Fact]
    public void Occlude_writes_the_figure_the_maps_json_and_a_page_and_reads_the_cache_second()
    {
        string[] args = ["occlude", Model, "--image", Circle, "--size", "16", "--stride", "8", "--layer", "conv3", "--out", Out, "--cache", Cache, "--device", "cpu"];
        var first = Cli.Run(args);
        first.Exit.Should().Be(0, first.ToString());
        first.Out.Should().Contain("p(circle) = ").And.Contain("conv3 unit").And.Contain("index.html").And.NotContain("from the cache");
        foreach (string png in new[] { "occlusion.png", "probability.png", "classes.png", "unit.png" })
        {
            using var bitmap = SKBitmap.Decode(Path.Combine(Out, png));
            bitmap.Should().NotBeNull(png);
            if (png != "occlusion.png")
                (bitmap.Width, bitmap.Height).Should().Be((64, 64), "maps are drawn over the image at its size");
        }
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().Contain("<img src=\"occlusion.png\"").And.Contain("circle");

        var second = Cli.Run([.. args, "--json", "--batch-size", "5"]);
        second.Exit.Should().Be(0, second.ToString());
        var json = second.Json;
        json.GetProperty("cached").GetBoolean().Should().BeTrue("the batch size is not part of the key");
        var result = json.GetProperty("result");
        result.GetProperty("rows").GetInt32().Should().Be(7);
        result.GetProperty("targetProbability").GetArrayLength().Should().Be(49);
        result.GetProperty("options").GetProperty("layer").GetString().Should().Be("conv3");
        result.GetProperty("classNames")[result.GetProperty("targetClass").GetInt32()].GetString().Should().Be("circle");
    }

    [Fact]
    public void Occluding_a_one_output_model_maps_its_score_without_a_class_map()
    {
        // squeeze_if.onnx: a DCGAN discriminator's ending, one sigmoid per image (as PredictCommandTests uses it).
        var run = Cli.Run(["occlude", Cli.Repo("tests/fixtures/onnx/squeeze_if.onnx"), "--image", Circle, "--input-size", "8", "--size", "4", "--stride", "2",
            "--out", Out, "--cache", Cache, "--device", "cpu"]);
        run.Exit.Should().Be(0, run.ToString());
        run.Out.Should().Contain("one output").And.Contain("a score").And.NotContain("p(");
        File.Exists(Path.Combine(Out, "probability.png")).Should().BeTrue();
        File.Exists(Path.Combine(Out, "classes.png")).Should().BeFalse("one output: every position would be the same class");
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().NotContain("most probable class");
    }

    [Fact]
    public void Occlude_takes_a_class_by_name_and_a_fill_colour()
    {
        var run = Cli.Run(["occlude", Model, "--image", Circle, "--class", "Square", "--fill", "255,255,255", "--size", "32", "--stride", "32",
            "--out", Out, "--cache", Cache, "--device", "cpu", "--json"]);
        run.Exit.Should().Be(0, run.ToString());
        var result = run.Json.GetProperty("result");
        result.GetProperty("targetClass").GetInt32().Should().Be(1);
        result.GetProperty("options").GetProperty("fillRgb").EnumerateArray().Select(v => v.GetInt32()).Should().Equal(255, 255, 255);
    }

    [Theory]
    [InlineData(2, "--fill", "grey", "is not a colour")]
    [InlineData(2, "--class", "hexagon", "neither a class name nor an index")]
    [InlineData(2, "--size", "100", "size must be 1 to 64")]
    [InlineData(2, "--layer", "conv9", "Unknown layer 'conv9'")]
    [InlineData(1, "--unit", "3", "--unit needs --layer")]
    public void Occlude_user_errors_name_the_problem(int exit, string option, string value, string message)
    {
        var run = Cli.Run(["occlude", Model, "--image", Circle, option, value, "--out", Out, "--cache", Cache, "--device", "cpu", "--json"]);
        run.Exit.Should().Be(exit, run.ToString());
        run.Err.Should().Contain(message);
        run.Out.Should().BeEmpty();
        run.Err.Should().NotContain("   at ");
    }

    [Fact]
    public void Unreadable_images_are_left_out_with_a_warning_naming_them_and_a_count_in_the_json()
    {
        string shapes = Shapes();
        byte[] png = File.ReadAllBytes(Path.Combine(shapes, "circle", "0.png"));
        string truncated = Path.Combine(shapes, "circle", "truncated.png");
        File.WriteAllBytes(truncated, png[..(png.Length / 2)]);
        string notes = Path.Combine(shapes, "cross", "notes.png");
        File.WriteAllText(notes, "not an image");

        var ablate = Cli.Run(["ablate", Model, "--layer", "conv4", "--units", "0-40", "--data", shapes, "--random-control", "1",
            "--out", Out, "--cache", Cache, "--device", "cpu", "--json"]);
        ablate.Exit.Should().Be(0, ablate.ToString());
        ablate.Err.Should().Contain("Warning:").And.Contain("2 images could not be read")
            .And.Contain(truncated + "': the file is truncated").And.Contain(notes).And.NotContain("Internal error");
        ablate.Json.GetProperty("skippedImages").GetInt32().Should().Be(2);
        ablate.Json.GetProperty("result").GetProperty("images").GetInt32().Should().Be(20);
        ablate.Json.GetProperty("result").GetProperty("skippedImages").EnumerateArray().Select(i => i.GetProperty("image").GetString())
            .Should().BeEquivalentTo([truncated, notes]);
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().Contain("2 images could not be read and were left out");

        var rank = Cli.Run(["rank", Model, "--layer", "conv4", "--class", "circle", "--data", shapes, "--top", "2", "--draws", "1",
            "--out", Out, "--cache", Cache, "--device", "cpu", "--json"]);
        rank.Exit.Should().Be(0, rank.ToString());
        rank.Err.Should().Contain("2 images could not be read").And.Contain(truncated).And.Contain(notes);
        rank.Json.GetProperty("skippedImages").GetInt32().Should().Be(2);
        rank.Json.GetProperty("ranking").GetProperty("images").GetInt32().Should().Be(5);
    }

    [Fact]
    public void Ablate_over_an_image_folder_prints_classes_by_change_and_writes_chart_json_and_page()
    {
        string shapes = Shapes();
        var run = Cli.Run(["ablate", Model, "--layer", "conv4", "--units", "0-40", "--data", shapes, "--random-control", "2",
            "--out", Out, "--cache", Cache, "--device", "cpu"]);
        run.Exit.Should().Be(0, run.ToString());
        run.Out.Should().Contain("conv4").And.Contain("Overall accuracy").And.Contain("triangle").And.Contain("Random");
        run.Err.Should().Contain("Evaluation set:").And.Contain("20 images, 4 classes");
        using (var chart = SKBitmap.Decode(Path.Combine(Out, "ablation.png")))
            chart.Should().NotBeNull();
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().Contain("<td>circle</td>");

        var json = Cli.Run(["ablate", Model, "--layer", "conv4", "--units", "0-40", "--data", shapes, "--random-control", "2",
            "--out", Out, "--cache", Cache, "--device", "cpu", "--json"]);
        json.Exit.Should().Be(0, json.ToString());
        json.Json.GetProperty("cached").GetBoolean().Should().BeTrue();
        var result = json.Json.GetProperty("result");
        result.GetProperty("units").GetArrayLength().Should().Be(41);
        result.GetProperty("images").GetInt32().Should().Be(20);
        result.GetProperty("randomUnitSets").GetArrayLength().Should().Be(2);
        var changes = result.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("after").GetDouble() - c.GetProperty("before").GetDouble()).ToList();
        changes.Should().BeInAscendingOrder();
    }

    [Fact]
    public void Ablate_sizes_an_image_folder_as_the_models_description_says_unless_told_otherwise_and_keys_the_cache_by_it()
    {
        string shapes = Shapes();
        Directory.CreateDirectory(_root);
        string model = Path.Combine(_root, "m.pth");
        File.Copy(Model, model);
        File.Copy(Cli.Repo("samples/smallcnn.classes.txt"), Path.Combine(_root, "m.classes.txt"));
        CliRun Ablate(params string[] extra) => Cli.Run(["ablate", model, "--layer", "conv4", "--units", "0-7", "--data", shapes,
            "--random-control", "0", "--out", Out, "--cache", Cache, "--device", "cpu", "--json", .. extra]);
        static (int? Resize, int[]? Crop) Sizing(CliRun run)
        {
            // --json leaves out what is null.
            var p = run.Json.GetProperty("preprocessing");
            return (p.TryGetProperty("resize", out var resize) ? resize.GetInt32() : null,
                p.TryGetProperty("centerCrop", out var crop) ? [.. crop.EnumerateArray().Select(v => v.GetInt32())] : null);
        }

        var plain = Ablate();
        plain.Exit.Should().Be(0, plain.ToString());
        Sizing(plain).Should().BeEquivalentTo(((int?)null, (int[]?)null), "without a description the images go in as decoded");
        plain.Err.Should().Contain("images as decoded");

        // The sample images are 64x64: resize(40) keeps 40x40, and the crop cuts 24x24 out of its centre.
        File.WriteAllText(Path.Combine(_root, "m.unitscope.json"), """{ "resize": 40, "centerCrop": [24, 24] }""");
        var saved = Ablate();
        saved.Exit.Should().Be(0, saved.ToString());
        Sizing(saved).Should().BeEquivalentTo(((int?)40, new[] { 24, 24 }));
        saved.Err.Should().Contain("images resize 40, centre crop 24x24 (resize and crop from m.unitscope.json)");
        saved.Json.GetProperty("cached").GetBoolean().Should().BeFalse("other images are another result");

        var overridden = Ablate("--crop", "32");
        overridden.Exit.Should().Be(0, overridden.ToString());
        Sizing(overridden).Should().BeEquivalentTo(((int?)40, new[] { 32, 32 }), "--crop wins, the saved resize stays");
        overridden.Err.Should().Contain("images resize 40, centre crop 32x32 (resize from m.unitscope.json)");
        overridden.Json.GetProperty("cached").GetBoolean().Should().BeFalse();

        // The key is the sizing used, however it was chosen: the same flags without the description read the cache.
        File.Delete(Path.Combine(_root, "m.unitscope.json"));
        var explicitSame = Ablate("--resize", "40", "--crop", "24");
        explicitSame.Exit.Should().Be(0, explicitSame.ToString());
        explicitSame.Json.GetProperty("cached").GetBoolean().Should().BeTrue();
        explicitSame.Json.GetProperty("result").GetProperty("accuracyBefore").GetDouble()
            .Should().Be(saved.Json.GetProperty("result").GetProperty("accuracyBefore").GetDouble());
        Ablate().Json.GetProperty("cached").GetBoolean().Should().BeTrue("the first run's result, as decoded");
    }

    [Fact]
    public void Rank_writes_the_curve_and_the_top_unit_jitter_plot()
    {
        string shapes = Shapes();
        var run = Cli.Run(["rank", Model, "--layer", "conv4", "--class", "triangle", "--metric", "logprob", "--top", "6", "--draws", "2",
            "--data", shapes, "--out", Out, "--cache", Cache, "--device", "cpu", "--json"]);
        run.Exit.Should().Be(0, run.ToString());
        var ranking = run.Json.GetProperty("ranking");
        ranking.GetProperty("className").GetString().Should().Be("triangle");
        ranking.GetProperty("metric").GetString().Should().Be("LogProbability");
        ranking.GetProperty("units").GetArrayLength().Should().Be(64);
        ranking.GetProperty("curve").GetArrayLength().Should().Be(6);
        var stats = run.Json.GetProperty("unitStats");
        stats.GetProperty("unit").GetInt32().Should().Be(ranking.GetProperty("units")[0].GetProperty("unit").GetInt32());
        stats.GetProperty("inClass").GetArrayLength().Should().Be(5);
        stats.GetProperty("others").GetArrayLength().Should().Be(15);
        foreach (string png in new[] { "curve.png", "jitter.png" })
            using (var bitmap = SKBitmap.Decode(Path.Combine(Out, png)))
                bitmap.Should().NotBeNull(png);
        File.Exists(Path.Combine(Out, "ranking.json")).Should().BeTrue();
    }

    [Fact]
    public void The_probe_sets_six_scenes_are_refused_for_a_ten_output_model_without_class_names()
    {
        // Matched by position they would be the model's classes 0-5, whatever those are: every accuracy 0%, meaning nothing.
        // (A set with all of a nameless model's classes is matched by position: An_image_folder_matched_by_position_….)
        string fixture = Cli.Repo("tests/fixtures/models/smallcnn_cifar.pth");
        var run = Cli.Run(["ablate", fixture, "--input-size", "32", "--layer", "conv3", "--units", "1,2", "--data", "probe",
            "--probe-count", "24", "--probe-size", "32", "--out", Out, "--cache", Cache, "--device", "cpu"]);
        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Contain("has 6 classes but the model has 10 outputs and no class names").And.Contain("classes.txt");
        File.Exists(Path.Combine(Out, "ablation.json")).Should().BeFalse();
    }

    [Theory]
    [InlineData(2, "does not exist", "folder not found")]
    [InlineData(2, "names-mismatch", "match the model's class names")]
    public void Ablate_data_errors_are_user_errors(int exit, string data, string message)
    {
        string folder = Path.Combine(_root, data);
        if (data == "names-mismatch")
        {
            Directory.CreateDirectory(Path.Combine(folder, "hexagon"));
            File.Copy(Circle, Path.Combine(folder, "hexagon", "1.png"));
        }
        var run = Cli.Run(["ablate", Model, "--layer", "conv4", "--units", "1", "--data", folder, "--out", Out, "--cache", Cache, "--device", "cpu"]);
        run.Exit.Should().Be(exit, run.ToString());
        run.Err.Should().Contain(message);
    }

    [Theory]
    [InlineData("rank", "--metric", "iou", "--metric 'iou'")]
    [InlineData("ablate", "--units", ",", "--units names no unit")]
    [InlineData("ablate", "--resize", "256", "--resize and --crop apply to image folders")]
    public void Usage_errors_exit_1(string command, string option, string value, string message)
    {
        string[] args = command == "rank"
            ? ["rank", Model, "--layer", "conv4", "--class", "circle", option, value, "--out", Out, "--cache", Cache, "--device", "cpu"]
            : ["ablate", Model, "--layer", "conv4", .. option == "--units" ? Array.Empty<string>() : ["--units", "1"], option, value,
               "--out", Out, "--cache", Cache, "--device", "cpu"];
        var run = Cli.Run(args);
        run.Exit.Should().Be(1, run.ToString());
        run.Err.Should().Contain(message);
    }

    [Fact]
    public async Task Cancelling_a_run_exits_130_and_stores_nothing()
    {
        using var cts = new CancellationTokenSource();
        var task = Cli.RunAsync(["occlude", Model, "--image", Circle, "--size", "4", "--stride", "1", "--batch-size", "8",
            "--out", Out, "--cache", Cache, "--device", "cpu"], cts.Token);
        await Task.Delay(3000); // past loading, into the 61 × 61 positions
        task.IsCompleted.Should().BeFalse();
        cts.Cancel();
        var run = await task;
        run.Exit.Should().Be(130, run.ToString());
        Directory.Exists(Path.Combine(Cache, "analyses")).Should().BeFalse();
        File.Exists(Path.Combine(Out, "occlusion.png")).Should().BeFalse();
    }

    [Fact]
    public void An_image_folder_matched_by_position_is_warned_about_on_stderr_and_in_the_json()
    {
        string shapes = Shapes();
        Directory.CreateDirectory(_root);
        string model = Path.Combine(_root, "nameless.pth");
        File.Copy(Model, model); // without smallcnn.classes.txt beside it: no class names
        var run = Cli.Run(["ablate", model, "--layer", "conv4", "--units", "0-3", "--data", shapes, "--random-control", "0",
            "--out", Out, "--cache", Cache, "--device", "cpu", "--json"]);
        run.Exit.Should().Be(0, run.ToString());
        run.Err.Should().Contain("Warning:").And.Contain("matched to its outputs by position").And.Contain("'circle' → output 0");
        var p = run.Json.GetProperty("preprocessing");
        p.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()).Should().ContainSingle(w => w!.Contains("by position"));
        p.GetProperty("meanSource").GetString().Should().Be("imagenet");
        p.GetProperty("interpolation").GetString().Should().Be("bilinear");

        File.Copy(Cli.Repo("samples/smallcnn.classes.txt"), Path.Combine(_root, "nameless.classes.txt"));
        var named = Cli.Run(["ablate", model, "--layer", "conv4", "--units", "0-3", "--data", shapes, "--random-control", "0",
            "--out", Out, "--cache", Cache, "--device", "cpu", "--json"]);
        named.Exit.Should().Be(0, named.ToString());
        named.Err.Should().NotContain("Warning:");
        named.Json.GetProperty("preprocessing").GetProperty("warnings").GetArrayLength().Should().Be(0);
    }
}
