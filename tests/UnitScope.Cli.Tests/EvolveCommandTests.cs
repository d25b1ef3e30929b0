using UnitScope.Engine.Checkpoints;
using static TorchSharp.torch;

namespace UnitScope.Cli.Tests;

/// <summary><c>unitscope evolve</c> end to end: a made-up run of the sample model (its weights drifting with each
/// "epoch", one epoch saved twice under two names), over a small generated probe set.</summary>
public sealed class EvolveCommandTests : IDisposable
{
    static readonly string Model = Cli.Repo("samples/smallcnn.pth");
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-evolve-cli-" + Guid.NewGuid().ToString("N"));

    string Run => Path.Combine(_root, "run");
    string Cache => Path.Combine(_root, "cache");
    string Out => Path.Combine(_root, "out");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string[] Args(params string[] extra) =>
        ["evolve", Path.Combine(Run, "*.safetensors"), "--layer", "conv3", "--data", "probe", "--probe-count", "20", "--probe-size", "48",
         "--max-images", "12", "--out", Out, "--cache", Cache, "--device", "cpu", .. extra];

    [Fact]
    public void A_run_is_ordered_by_epoch_duplicates_merged_and_a_rerun_comes_from_the_cache()
    {
        MakeRun();
        var first = Cli.Run(Args("--dissect", "--json"));
        first.Exit.Should().Be(0, first.ToString());
        var checkpoints = first.Json.GetProperty("result").GetProperty("checkpoints").EnumerateArray().ToList();
        checkpoints.Select(c => c.GetProperty("epoch").GetInt64()).Should().Equal(1, 2, 10);
        checkpoints[1].GetProperty("paths").EnumerateArray().Select(p => Path.GetFileName(p.GetString())).Should().Equal("ep2-copy.safetensors", "ep2.safetensors");
        checkpoints.Should().OnlyContain(c => !c.GetProperty("cached").GetBoolean());
        var layers = checkpoints.Select(c => c.GetProperty("layers")[0]).ToList();
        (!layers[0].TryGetProperty("weightChange", out var none) || none.ValueKind == System.Text.Json.JsonValueKind.Null)
            .Should().BeTrue("the first checkpoint has no previous one");
        layers.Skip(1).Should().OnlyContain(l => l.GetProperty("weightChange").GetDouble() > 0.01);
        layers.Should().OnlyContain(l => l.GetProperty("weightLayer").GetString() == "conv3" && l.GetProperty("labelled").GetInt32() >= 0);
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().Contain("ep2-copy.safetensors");

        var again = Cli.Run(Args("--json"));
        again.Exit.Should().Be(0, again.ToString());
        again.Json.GetProperty("result").GetProperty("checkpoints").EnumerateArray().Should().OnlyContain(c => c.GetProperty("cached").GetBoolean());
    }

    [Fact]
    public void No_matching_file_and_an_unknown_layer_exit_2_naming_them()
    {
        Directory.CreateDirectory(Run);
        var none = Cli.Run(Args());
        none.Exit.Should().Be(2, none.ToString());
        none.Err.Should().Contain("*.safetensors");

        MakeRun();
        var layer = Cli.Run([.. Args().Select(a => a == "conv3" ? "conv9" : a)]);
        layer.Exit.Should().Be(2, layer.ToString());
        layer.Err.Should().Contain("conv9");
    }

    /// <summary>ep1, ep2 (and a byte-identical copy), ep10: the sample with more noise in its convolution and linear weights each epoch.</summary>
    void MakeRun()
    {
        Directory.CreateDirectory(Run);
        using var state = CheckpointReader.Read(Model);
        foreach (int epoch in new[] { 1, 2, 10 })
        {
            using var scope = NewDisposeScope();
            var generator = new TorchSharp.torch.Generator((ulong)epoch);
            var entries = state.Entries.Select(e => e.Value.dim() >= 2
                ? new KeyValuePair<string, Tensor>(e.Key, e.Value.add(randn(e.Value.shape, generator: generator).mul(e.Value.std().mul(0.05f * epoch))))
                : e).ToList();
            SafetensorsWriter.Write(Path.Combine(Run, $"ep{epoch}.safetensors"), entries);
        }
        File.Copy(Path.Combine(Run, "ep2.safetensors"), Path.Combine(Run, "ep2-copy.safetensors"));
    }
}
