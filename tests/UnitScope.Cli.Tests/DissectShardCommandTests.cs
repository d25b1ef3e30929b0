using System.Text.Json;

namespace UnitScope.Cli.Tests;

/// <summary>
/// <c>unitscope dissect --shard i/N --partial DIR</c> and <c>--merge DIR</c> end to end on a fixture model and a small
/// generated probe set: the merge prints, stores and reports what one run does, and refuses shards that do not fit.
/// </summary>
public sealed class DissectShardCommandTests : IDisposable
{
    static readonly string Model = Cli.Repo("tests/fixtures/models/smallcnn_cifar.pth");

    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-shards-" + Guid.NewGuid().ToString("N"));

    string Partial => Path.Combine(_root, "partial");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>The model, layers and probe set; each run its own cache, so that no run reads another's result.</summary>
    string[] Args(string cache, params string[] more) =>
        ["dissect", "--model", Model, "--input-size", "32", "--device", "cpu", "--layer", "conv2,conv3", "--data", "probe",
         "--probe-count", "13", "--probe-size", "32", "--batch-size", "2", "--top-images", "3", "--cache", Path.Combine(_root, cache), .. more];

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Shards_then_a_merge_print_store_and_report_what_one_run_does(int shards)
    {
        var one = Cli.Run(Args("one", "--out", Path.Combine(_root, "one-report"), "--json"));
        one.Exit.Should().Be(0, one.ToString());

        for (int i = 0; i < shards; i++)
        {
            var shard = Cli.Run(Args($"shard{i}", "--shard", $"{i}/{shards}", "--partial", Partial));
            shard.Exit.Should().Be(0, shard.ToString());
            shard.Out.Should().MatchRegex($@"Shard {i}/{shards}: images \d+–\d+ \(\d+ run\), [\d.]+ KB of activations, [\d.]+ KB per image in {Regex(Partial)}");
        }
        var merged = Cli.Run(Args("merge", "--merge", Partial, "--out", Path.Combine(_root, "merged-report"), "--json"));

        merged.Exit.Should().Be(0, merged.ToString());
        merged.Json.GetProperty("cached").GetArrayLength().Should().Be(0, "the merge computed its result");
        JsonSerializer.Serialize(merged.Json.GetProperty("layers")).Should().Be(JsonSerializer.Serialize(one.Json.GetProperty("layers")));
        File.ReadAllText(Path.Combine(_root, "merged-report", "dissection.json"))
            .Should().Be(File.ReadAllText(Path.Combine(_root, "one-report", "dissection.json")));
        foreach (string png in Directory.GetFiles(Path.Combine(_root, "one-report", "images")))
            File.ReadAllBytes(Path.Combine(_root, "merged-report", "images", Path.GetFileName(png)))
                .Should().Equal(File.ReadAllBytes(png), $"{Path.GetFileName(png)} is drawn from the same result");

        var again = Cli.Run(Args("merge", "--out", Path.Combine(_root, "again"), "--json"));
        again.Json.GetProperty("cached").EnumerateArray().Select(e => e.GetString()).Should().Equal(["conv2", "conv3"], "the merge stored its result as one run's");
    }

    [Fact]
    public void A_shard_prints_its_manifest_as_json()
    {
        var run = Cli.Run(Args("c", "--shard", "1/2", "--partial", Partial, "--json"));

        run.Exit.Should().Be(0, run.ToString());
        var shard = run.Json.GetProperty("shard");
        (shard.GetProperty("first").GetInt32(), shard.GetProperty("end").GetInt32()).Should().Be((6, 13), "7 batches of 2: shard 1 of 2 gets batches 3-6");
        shard.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("layer").GetString()).Should().Equal("conv2", "conv3");
        run.Json.GetProperty("bytes").GetInt64().Should().Be(shard.GetProperty("layers").EnumerateArray().Sum(l => l.GetProperty("bytes").GetInt64()));
        File.Exists(Path.Combine(Partial, "shard-1-of-2.json")).Should().BeTrue();
    }

    [Fact]
    public void A_merge_with_a_missing_shard_is_refused_naming_it()
    {
        Cli.Run(Args("c", "--shard", "0/2", "--partial", Partial)).Exit.Should().Be(0);

        var run = Cli.Run(Args("c", "--merge", Partial, "--out", Path.Combine(_root, "r")));

        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Contain("Shard 1/2 is missing").And.Contain(Path.Combine(Partial, "shard-1-of-2.json"));
    }

    [Fact]
    public void A_merge_for_another_model_is_refused_even_when_a_result_is_stored()
    {
        Cli.Run(Args("c", "--shard", "0/1", "--partial", Partial)).Exit.Should().Be(0);
        string other = Path.Combine(_root, "other.pth");
        var bytes = File.ReadAllBytes(Model);
        File.WriteAllBytes(other, [.. bytes, .. "x"u8.ToArray()]); // same weights, another file: another checkpoint hash
        string[] args = [.. Args("c", "--merge", Partial, "--out", Path.Combine(_root, "r")).Select(a => a == Model ? other : a)];

        var run = Cli.Run(args);

        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Contain("shard-0-of-1.json was made from checkpoint").And.Contain("not the model given");
    }

    [Theory]
    [InlineData("--shard 0/2", "--shard needs --partial DIR")]
    [InlineData("--partial x", "--partial goes with --shard i/N")]
    [InlineData("--shard 0/2 --partial x --merge y", "--shard and --merge do not go together")]
    [InlineData("", "--out is required (except with --shard")]
    public void Shard_options_used_wrongly_are_usage_errors(string options, string message)
    {
        var run = Cli.Run(Args("c", options.Split(' ', StringSplitOptions.RemoveEmptyEntries)));

        run.Exit.Should().Be(1, run.ToString());
        run.Err.Should().Contain(message);
    }

    [Fact]
    public void A_bad_shard_number_is_refused()
    {
        var run = Cli.Run(Args("c", "--shard", "2/2", "--partial", Partial));

        run.Exit.Should().Be(2, run.ToString());
        run.Err.Should().Contain("Shard 2 of 2 does not exist");
    }

    static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
