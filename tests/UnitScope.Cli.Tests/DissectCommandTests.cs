using System.Diagnostics;
using System.Text.Json;

namespace UnitScope.Cli.Tests;

/// <summary>
/// <c>unitscope dissect</c> end to end on a fixture model (smallcnn_cifar) with tiny probe data
/// (tests/fixtures/broden_mini, or a generated probe set of a few images), each test with its own
/// cache and report folders.
/// </summary>
public sealed class DissectCommandTests : IDisposable
{
    static readonly string Model = Cli.Repo("tests/fixtures/models/smallcnn_cifar.pth");
    static readonly string Broden = Cli.Repo("tests/fixtures/broden_mini");

    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-dissect-" + Guid.NewGuid().ToString("N"));

    string CacheDir => Path.Combine(_root, "cache");
    string OutDir => Path.Combine(_root, "report");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string[] Args(string layers, string data, params string[] more) =>
        ["dissect", "--model", Model, "--input-size", "32", "--device", "cpu", "--layer", layers, "--data", data,
         "--out", OutDir, "--cache", CacheDir, .. more];

    [Fact]
    public void Dissects_broden_layers_writes_the_report_and_a_second_run_reads_the_cache()
    {
        var first = Cli.Run(Args("conv2,conv3", Broden));
        first.Exit.Should().Be(0, first.ToString());
        first.Out.Should().MatchRegex(@"conv2: \d+ of 16 units labelled").And.MatchRegex(@"conv3: \d+ of 32 units labelled");
        first.Out.Should().NotContain("from the cache");
        first.Out.Should().Contain("Report: ").And.Contain(Path.Combine(OutDir, "index.html"));
        first.Err.Should().Contain("Probe data:");
        string html = File.ReadAllText(Path.Combine(OutDir, "index.html"));
        html.Should().Contain("id=\"conv2\"").And.Contain("id=\"conv3\"");
        File.Exists(Path.Combine(OutDir, "images", "conv3-unit0031.png")).Should().BeTrue();
        Directory.GetFiles(Path.Combine(CacheDir, "dissections"), "*.json", SearchOption.AllDirectories).Should().HaveCount(2);

        var second = Cli.Run(Args("conv3,conv2", Broden, "--batch-size", "2"));
        second.Exit.Should().Be(0, second.ToString());
        second.Out.Should().MatchRegex(@"conv3: \d+ of 32 units labelled .*\(from the cache\)");
        second.Out.Should().MatchRegex(@"conv2: \d+ of 16 units labelled .*\(from the cache\)");
    }

    [Fact]
    public void Json_prints_only_the_dissections_on_stdout()
    {
        var run = Cli.Run(Args("conv2", Broden, "--json", "--top-images", "2", "--quantile", "0.01"));
        run.Exit.Should().Be(0, run.ToString());
        var json = run.Json;
        json.GetProperty("checkpointHash").GetString().Should().MatchRegex("^[0-9a-f]{64}$");
        json.GetProperty("report").GetString().Should().Be(Path.Combine(OutDir, "index.html"));
        json.GetProperty("cached").GetArrayLength().Should().Be(0);
        var layer = json.GetProperty("layers").EnumerateArray().Single();
        layer.GetProperty("layer").GetString().Should().Be("conv2");
        layer.GetProperty("imageCount").GetInt32().Should().Be(3);
        layer.GetProperty("options").GetProperty("quantile").GetDouble().Should().Be(0.01);
        var units = layer.GetProperty("units").EnumerateArray().ToList();
        units.Should().HaveCount(16);
        units.Should().OnlyContain(u => u.GetProperty("topImages").GetArrayLength() <= 2);

        var again = Cli.Run(Args("conv2", Broden, "--json", "--top-images", "2", "--quantile", "0.01"));
        again.Json.GetProperty("cached").EnumerateArray().Select(e => e.GetString()).Should().Equal("conv2");
        JsonSerializer.Serialize(again.Json.GetProperty("layers")).Should().Be(JsonSerializer.Serialize(json.GetProperty("layers")));
    }

    [Fact]
    public void Dissects_over_a_generated_probe_set()
    {
        var run = Cli.Run(Args("conv2", "probe", "--probe-count", "12", "--probe-size", "32", "--json"));
        run.Exit.Should().Be(0, run.ToString());
        run.Json.GetProperty("layers")[0].GetProperty("imageCount").GetInt32().Should().Be(12);
        Directory.GetDirectories(CacheDir, "probe-*").Should().ContainSingle(because: "the probe set is generated into the cache");
    }

    [Fact]
    public void Probe_images_of_another_size_than_the_input_are_said_and_resize_probe_resizes_them_with_their_masks()
    {
        var run = Cli.Run(Args("conv2", "probe", "--probe-count", "12", "--probe-size", "48", "--json"));
        run.Exit.Should().Be(0, run.ToString());
        run.Err.Should().Contain("Note: The probe images are 48x48 (masks 48x48) but the model takes 32x32").And.Contain("--probe-size 32");
        run.Json.GetProperty("notes").EnumerateArray().Should().ContainSingle();

        var resized = Cli.Run(Args("conv2", "probe", "--probe-count", "12", "--probe-size", "48", "--resize-probe", "--json"));
        resized.Exit.Should().Be(0, resized.ToString());
        resized.Err.Should().Contain("Probe images and their masks are resized together to the model's 32x32 input");
        var layer = resized.Json.GetProperty("layers")[0];
        layer.GetProperty("datasetHash").GetString().Should().NotBe(run.Json.GetProperty("layers")[0].GetProperty("datasetHash").GetString());
        resized.Json.GetProperty("cached").GetArrayLength().Should().Be(0, "another dataset: not the first run's cache entry");

        var same = Cli.Run(Args("conv2", "probe", "--probe-count", "12", "--probe-size", "32", "--json"));
        same.Err.Should().NotContain("Note: The probe images");
    }

    [Fact]
    public void Max_images_limits_the_probe_data()
    {
        var run = Cli.Run(Args("conv2", Broden, "--json", "--max-images", "2"));
        run.Exit.Should().Be(0, run.ToString());
        run.Json.GetProperty("layers")[0].GetProperty("imageCount").GetInt32().Should().Be(2);
    }

    [Fact]
    public void An_unreadable_probe_image_is_left_out_said_on_stderr_and_in_the_report()
    {
        string data = Path.Combine(_root, "broden");
        CopyFolder(Broden, data);
        File.WriteAllBytes(Path.Combine(data, "images", "dtd", "b.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0x00]); // a JPEG cut after 5 bytes

        var run = Cli.Run(Args("conv2", data, "--json"));

        run.Exit.Should().Be(0, run.ToString());
        run.Err.Should().Contain("1 image could not be read, left out of the results:").And.Contain("b.jpg");
        var layer = run.Json.GetProperty("layers").EnumerateArray().Single();
        layer.GetProperty("imageCount").GetInt32().Should().Be(2);
        layer.GetProperty("skippedImages").EnumerateArray().Select(s => s.GetProperty("index").GetInt32()).Should().Equal(1);
        File.ReadAllText(Path.Combine(OutDir, "index.html")).Should().Contain("(2 probe images; <span class=\"skipped\"").And.Contain("1 could not be read and was left out");
    }

    [Fact]
    public void Probe_data_with_no_readable_image_is_a_user_error()
    {
        string data = Path.Combine(_root, "broden");
        CopyFolder(Broden, data);
        foreach (string image in new[] { "ade/a.png", "dtd/b.jpg", "misc/c.png" })
            File.WriteAllBytes(Path.Combine(data, "images", image), [1, 2, 3]);

        CheckError(2, Args("conv2", data), "None of the 3 probe images", "could be read");
    }

    static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public void Unknown_layer_is_a_user_error_naming_it() => CheckError(2, Args("conv2,conv9", Broden), "conv9");

    [Fact]
    public void A_layer_without_maps_is_a_user_error() => CheckError(2, Args("fc", Broden), "fc", "no spatial maps");

    [Fact]
    public void Missing_data_folder_is_a_user_error() => CheckError(2, Args("conv2", Path.Combine(_root, "no-such-broden")), "no-such-broden", "not found");

    [Fact]
    public void Data_folder_without_an_index_is_a_user_error()
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        CheckError(2, Args("conv2", Path.Combine(_root, "empty")), "index.csv");
    }

    [Fact]
    public void Data_that_is_a_file_is_a_user_error() =>
        CheckError(2, Args("conv2", Model), "is a file");

    [Theory]
    [InlineData("--quantile", "0")]
    [InlineData("--quantile", "1.5")]
    [InlineData("--iou-threshold", "-1")]
    [InlineData("--top-images", "0")]
    [InlineData("--batch-size", "0")]
    [InlineData("--max-images", "0")]
    public void Bad_option_values_are_user_errors(string option, string value) =>
        CheckError(2, Args("conv2", Broden, option, value));

    [Fact]
    public void Missing_layer_option_is_a_usage_error()
    {
        var run = Cli.Run("dissect", "--model", Model, "--out", OutDir);
        run.Exit.Should().Be(1, run.ToString());
        run.Err.Should().Contain("--layer");
    }

    [Fact]
    public void Probe_options_with_a_broden_folder_are_a_usage_error() =>
        CheckError(1, Args("conv2", Broden, "--probe-count", "10"), "--probe-count");

    [Fact]
    public async Task Cancelling_exits_130_and_stores_nothing()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var run = await Cli.RunAsync(Args("conv2", Broden), cancelled.Token);
        run.Exit.Should().Be(130, run.ToString());
        Directory.Exists(Path.Combine(CacheDir, "dissections")).Should().BeFalse();
    }

    [Fact]
    public void Two_processes_dissecting_at_once_share_the_store_and_leave_one_valid_entry_per_layer()
    {
        var runs = Enumerable.Range(0, 2).Select(i =>
        {
            var args = Args("conv2,conv3", Broden, "--json").ToList();
            args[args.IndexOf(OutDir)] = Path.Combine(_root, $"report{i}");
            return Start([.. args]);
        }).ToList();
        foreach (var (process, stdout, stderr) in runs)
        {
            process.WaitForExit(600_000).Should().BeTrue("the CLI must finish");
            process.WaitForExit(); // and its output read to the end
            process.ExitCode.Should().Be(0, stderr.ToString());
            JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("layers").GetArrayLength().Should().Be(2);
            process.Dispose();
        }
        Directory.GetFiles(Path.Combine(CacheDir, "dissections"), "*", SearchOption.AllDirectories)
            .Select(Path.GetExtension).Should().Equal(".json", ".json");

        var third = Cli.Run(Args("conv2,conv3", Broden, "--json"));
        third.Json.GetProperty("cached").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public void Ctrl_C_in_a_real_process_cancels_and_exits_130()
    {
        if (OperatingSystem.IsWindows() || SigintIgnored())
            return; // a run started in the background by a shell ignores SIGINT, and the CLI inherits that: no Ctrl-C to test
        var (process, _, stderr) = Start(Args("conv2", "probe", "--probe-count", "100000", "--probe-size", "64"));
        using (process)
        {
            var deadline = DateTime.UtcNow.AddSeconds(300);
            while (!stderr.ToString().Contains("input 3x32x32") && DateTime.UtcNow < deadline && !process.HasExited)
                Thread.Sleep(50);
            Thread.Sleep(500); // into the probe set's generation
            process.HasExited.Should().BeFalse(stderr.ToString());
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()]))
                kill.WaitForExit();
            process.WaitForExit(180_000).Should().BeTrue("Ctrl-C ends the run");
            process.WaitForExit();
            process.ExitCode.Should().Be(130, stderr.ToString());
        }
        Directory.GetDirectories(CacheDir, "probe-*").Should().BeEmpty("an interrupted probe set is not kept");
    }

    /// <summary>The real executable as a child process, its output collected as it comes.</summary>
    /// <summary>Whether this process ignores SIGINT (Linux's SigIgn mask; bit 1 is SIGINT), as its children then do.</summary>
    static bool SigintIgnored()
    {
        if (!File.Exists("/proc/self/status")) return false;
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0b10) != 0;
    }

    static (Process Process, System.Text.StringBuilder Out, System.Text.StringBuilder Err) Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Cli.RepoRoot };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "unitscope.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, stdout, stderr);
    }

    void CheckError(int exit, string[] args, params string[] messageParts)
    {
        var run = Cli.Run([.. args, "--json"]);
        run.Exit.Should().Be(exit, run.ToString());
        foreach (string part in messageParts)
            run.Err.Should().Contain(part, run.ToString());
        run.Err.Should().NotContain("   at ", "user errors show no stack trace");
        run.Out.Should().BeEmpty("nothing but JSON goes to stdout, and there is none on failure");
        Directory.Exists(Path.Combine(CacheDir, "dissections")).Should().BeFalse();
    }
}
