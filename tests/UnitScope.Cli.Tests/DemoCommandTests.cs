namespace UnitScope.Cli.Tests;

/// <summary>
/// <c>unitscope demo</c>, the main job, end to end at a tiny scale (a 60-image probe set of 64 px,
/// one training epoch): every stage runs, the report is written, and a second run takes the probe
/// set, the model and the results from the cache.
/// </summary>
public sealed class DemoCommandTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-demo-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    string[] Args => ["demo", "--probe-count", "60", "--probe-size", "64", "--epochs", "1", "--device", "cpu",
        "--cache", Path.Combine(_root, "cache"), "--out", Path.Combine(_root, "report")];

    [Fact]
    public void Trains_dissects_every_conv_block_and_writes_the_report_then_reuses_the_cache()
    {
        var first = Cli.Run(Args);
        first.Exit.Should().Be(0, first.ToString());
        first.Out.Should().Contain("vgg11_bn").And.Contain("dissected 8 layers");
        foreach (string layer in new[] { "features.2", "features.6", "features.27" })
            first.Out.Should().MatchRegex($@"{layer.Replace(".", @"\.")}: \d+ of \d+ units labelled");
        first.Out.Should().NotContain("from the cache");
        string html = File.ReadAllText(Path.Combine(_root, "report", "index.html"));
        html.Should().Contain("id=\"features.2\"").And.Contain("id=\"features.27\"");
        Directory.GetFiles(Path.Combine(_root, "cache", "demo"), "*.safetensors").Should().HaveCount(1);

        var second = Cli.Run(Args);
        second.Exit.Should().Be(0, second.ToString());
        second.Out.Should().Contain("from the cache");
        second.Err.Should().NotContain("training the demo model");
    }

    [Fact]
    public void Zero_epochs_is_a_usage_error()
    {
        var run = Cli.Run(["demo", "--epochs", "0", "--cache", Path.Combine(_root, "cache")]);
        run.Exit.Should().Be(1, run.ToString());
        run.Err.Should().Contain("--epochs");
    }
}
