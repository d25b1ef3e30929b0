namespace UnitScope.Cli.Tests;

/// <summary>
/// <c>unitscope gan-dissect</c> and <c>gan-edit</c> end to end on the PyTorch-made DCGAN fixture (16 px) with the
/// segmenter fixture and a label file written here: files written, JSON on stdout only, the dissection read back
/// from the cache by the edit, user errors with exit code 2 naming the problem.
/// </summary>
public sealed class GanCommandTests : IDisposable
{
    static readonly string Generator = Cli.Repo("tests/fixtures/gan/dcgan_odd.pth");
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-gan-cli-" + Guid.NewGuid().ToString("N"));

    string Cache => Path.Combine(_root, "cache");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>The 9-output segmenter fixture with a label file: "shade" (none + 4 concepts) and "part" (none + 3).</summary>
    string Segmenter()
    {
        Directory.CreateDirectory(_root);
        string path = Path.Combine(_root, "seg.pth");
        File.Copy(Cli.Repo("tests/fixtures/gan/segmenter_odd.pth"), path);
        File.WriteAllLines(Path.Combine(_root, "seg.segments.txt"),
            ["shade\t-", "shade\ts1", "shade\ts2", "shade\ts3", "shade\ts4", "part\t-", "part\tp1", "part\tp2", "part\tp3"]);
        return path;
    }

    [Fact]
    public void Gan_dissect_writes_its_files_and_gan_edit_ablates_and_inserts_from_the_cached_dissection()
    {
        string segmenter = Segmenter();
        string outDir = Path.Combine(_root, "dissect");
        var dissect = Cli.Run("gan-dissect", Generator, "--layer", "main.5", "--segmenter", segmenter, "--samples", "40",
            "--out", outDir, "--cache", Cache, "--device", "cpu", "--json");
        dissect.Exit.Should().Be(0, dissect.ToString());
        var result = dissect.Json.GetProperty("result");
        result.GetProperty("dissection").GetProperty("units").GetArrayLength().Should().Be(12);
        result.GetProperty("dissection").GetProperty("imageCount").GetInt32().Should().Be(40);
        foreach (string file in new[] { "index.html", "gan-dissection.json", "summary.png", "samples.png" })
            File.Exists(Path.Combine(outDir, file)).Should().BeTrue(file);
        dissect.Json.GetProperty("cached").GetBoolean().Should().BeFalse();

        // A concept with at least two ranked units, to ablate two of them.
        var concept = result.GetProperty("conceptUnits").EnumerateArray()
            .OrderByDescending(c => c.GetProperty("units").GetArrayLength()).First();
        concept.GetProperty("units").GetArrayLength().Should().BeGreaterThanOrEqualTo(2);
        string name = concept.GetProperty("concept").GetString()!;

        string editDir = Path.Combine(_root, "edit");
        var edit = Cli.Run("gan-edit", Generator, "--layer", "main.5", "--concept", name, "--units", "2", "--region", "2,3,9,11",
            "--samples", "30", "--random", "2", "--dissect-samples", "40", "--segmenter", segmenter, "--out", editDir, "--cache", Cache, "--device", "cpu", "--json");
        edit.Exit.Should().Be(0, edit.ToString());
        edit.Err.Should().Contain("from the cache", "gan-edit starts from the dissection gan-dissect stored (same generator, segmenter, options)");
        var ablation = edit.Json.GetProperty("result").GetProperty("ablation");
        ablation.GetProperty("topUnits").EnumerateArray().Select(u => u.GetInt32()).Should()
            .Equal(concept.GetProperty("units").EnumerateArray().Take(2).Select(u => u.GetProperty("unit").GetInt32()));
        ablation.GetProperty("areaRandomAblated").GetArrayLength().Should().Be(2);
        var insertion = edit.Json.GetProperty("result").GetProperty("insertion");
        insertion.GetProperty("layerRegion").GetProperty("x0").GetInt32().Should().Be(1, "x 2..9 of 16 px covers cells 1..5 of the 8×8 layer");
        insertion.GetProperty("layerRegion").GetProperty("x1").GetInt32().Should().Be(5);
        foreach (string file in new[] { "index.html", "gan-edit.json", "ablation.png", "insertion.png" })
            File.Exists(Path.Combine(editDir, file)).Should().BeTrue(file);
    }

    [Fact]
    public void User_errors_exit_2_naming_the_problem()
    {
        string segmenter = Segmenter();
        var notGenerator = Cli.Run("gan-dissect", Cli.Repo("samples/smallcnn.pth"), "--layer", "conv4", "--segmenter", segmenter, "--samples", "4",
            "--out", Path.Combine(_root, "x"), "--cache", Cache, "--device", "cpu");
        notGenerator.Exit.Should().Be(ExitCodes.UserError, notGenerator.ToString());
        notGenerator.Err.Should().Contain("not an image generator");

        var concept = Cli.Run("gan-edit", Generator, "--layer", "main.5", "--concept", "unicorn", "--samples", "4", "--dissect-samples", "8",
            "--segmenter", segmenter, "--out", Path.Combine(_root, "y"), "--cache", Cache, "--device", "cpu");
        concept.Exit.Should().Be(ExitCodes.UserError, concept.ToString());
        concept.Err.Should().Contain("'unicorn'");

        var region = Cli.Run("gan-edit", Generator, "--layer", "main.5", "--concept", "s1", "--region", "1,2,3", "--dissect-samples", "8",
            "--segmenter", segmenter, "--out", Path.Combine(_root, "z"), "--cache", Cache, "--device", "cpu");
        region.Exit.Should().Be(ExitCodes.UserError, region.ToString());
        region.Err.Should().Contain("--region '1,2,3'");

        File.Delete(Path.Combine(_root, "seg.segments.txt"));
        var labels = Cli.Run("gan-dissect", Generator, "--layer", "main.5", "--segmenter", segmenter, "--samples", "4",
            "--out", Path.Combine(_root, "w"), "--cache", Cache, "--device", "cpu");
        labels.Exit.Should().Be(ExitCodes.UserError, labels.ToString());
        labels.Err.Should().Contain("seg.segments.txt");
    }
}
