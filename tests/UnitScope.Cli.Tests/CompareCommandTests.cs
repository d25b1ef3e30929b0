using SkiaSharp;
using UnitScope.Engine.Checkpoints;
using static TorchSharp.torch;

namespace UnitScope.Cli.Tests;

/// <summary><c>unitscope compare</c> end to end: the bundled sample model against itself and against a copy with noise
/// added to its last convolution, over a small generated probe set.</summary>
public sealed class CompareCommandTests : IDisposable
{
    static readonly string Model = Cli.Repo("samples/smallcnn.pth");
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-compare-cli-" + Guid.NewGuid().ToString("N"));

    string Cache => Path.Combine(_root, "cache");
    string Out => Path.Combine(_root, "out");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string[] Args(string a, string b, params string[] extra) =>
        ["compare", a, b, "--data", "probe", "--probe-count", "20", "--probe-size", "48", "--out", Out, "--cache", Cache, "--device", "cpu", .. extra];

    [Fact]
    public void A_model_against_itself_is_unchanged_everywhere_and_a_noisy_copy_changed_from_its_last_convolution_on()
    {
        var same = Cli.Run(Args(Model, Model, "--json"));
        same.Exit.Should().Be(0, same.ToString());
        var layers = same.Json.GetProperty("result").GetProperty("layers").EnumerateArray().ToList();
        layers.Select(l => l.GetProperty("layer").GetString()).Should().Equal("conv1", "conv2", "conv3", "conv4", "fc");
        foreach (var layer in layers)
        {
            layer.GetProperty("cka").GetDouble().Should().BeApproximately(1, 1e-9);
            layer.GetProperty("matchedToSameIndex").GetInt32().Should().Be(layer.GetProperty("unitsA").GetInt32());
        }
        File.Exists(Path.Combine(Out, "compare.json")).Should().BeTrue();
        using (var chart = SKBitmap.Decode(Path.Combine(Out, "compare.png")))
            chart.Should().NotBeNull();

        string noisy = NoisyCopy("conv3");
        var run = Cli.Run(Args(Model, noisy));
        run.Exit.Should().Be(0, run.ToString());
        run.Out.Should().Contain("Most changed first: ").And.Contain("index.html");
        File.ReadAllText(Path.Combine(Out, "index.html")).Should().Contain("<img src=\"compare.png\"").And.Contain("conv3");

        var again = Cli.Run(Args(Model, noisy, "--json"));
        again.Json.GetProperty("cached").GetBoolean().Should().BeTrue();
        var result = again.Json.GetProperty("result").GetProperty("layers").EnumerateArray().ToDictionary(l => l.GetProperty("layer").GetString()!, l => l.GetProperty("cka").GetDouble());
        result["conv1"].Should().BeApproximately(1, 1e-9, "layers before the change are the same");
        result["conv2"].Should().BeApproximately(1, 1e-9);
        result["conv3"].Should().BeLessThan(0.999);
        again.Json.GetProperty("rankedByChange")[0].GetString().Should().BeOneOf("conv3", "conv4", "fc");
    }

    [Fact]
    public void Missing_files_and_unknown_layers_exit_2_naming_them()
    {
        var missing = Cli.Run(Args(Model, Path.Combine(_root, "nope.pth")));
        missing.Exit.Should().Be(2, missing.ToString());
        missing.Err.Should().Contain("nope.pth");

        var layer = Cli.Run(Args(Model, Model, "--layers", "conv9"));
        layer.Exit.Should().Be(2, layer.ToString());
        layer.Err.Should().Contain("conv9");
        Directory.Exists(Out).Should().BeFalse("nothing is written for bad input");
    }

    /// <summary>The sample with Gaussian noise (a third of the weights' spread) added to <paramref name="layer"/>'s weight.</summary>
    string NoisyCopy(string layer)
    {
        Directory.CreateDirectory(_root);
        using var state = CheckpointReader.Read(Model);
        using var scope = NewDisposeScope();
        var weight = state[layer + ".weight"];
        var noise = randn(weight.shape, generator: new TorchSharp.torch.Generator(3)).mul(weight.std().mul(0.35f));
        var entries = state.Entries.Select(e => e.Key == layer + ".weight" ? new KeyValuePair<string, Tensor>(e.Key, e.Value.add(noise)) : e).ToList();
        string path = Path.Combine(_root, "noisy.safetensors");
        SafetensorsWriter.Write(path, entries);
        return path;
    }
}
