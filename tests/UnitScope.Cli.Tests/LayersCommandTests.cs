using System.Text.Json;

namespace UnitScope.Cli.Tests;

public class LayersCommandTests
{
    /// <summary>layers --json against NAME.json (module names, kinds, output shapes recorded by PyTorch).</summary>
    static void Check(string fixture)
    {
        var description = JsonDocument.Parse(File.ReadAllText(Cli.Repo($"tests/fixtures/models/{fixture}.json"))).RootElement;
        var size = description.GetProperty("inputSize");
        var run = Cli.Run("layers", Cli.Repo($"tests/fixtures/models/{fixture}.pth"),
            "--input-size", $"{size[0].GetInt32()}x{size[1].GetInt32()}", "--device", "cpu", "--json");
        run.Exit.Should().Be(0, run.ToString());

        var expected = description.GetProperty("modules").EnumerateArray()
            .Select(m => (m.GetProperty("name").GetString(), m.GetProperty("kind").GetString(),
                string.Join("x", m.GetProperty("outputShape").EnumerateArray().Select(d => d.GetInt32()))))
            .ToList();
        var actual = run.Json.GetProperty("layers").EnumerateArray()
            .Select(l => (l.GetProperty("name").GetString(), l.GetProperty("kind").GetString(),
                string.Join("x", l.GetProperty("outputShape").EnumerateArray().Select(d => d.GetInt32()))))
            .ToList();
        actual.Should().Equal(expected);
        foreach (var layer in run.Json.GetProperty("layers").EnumerateArray())
            layer.GetProperty("units").GetInt32().Should().Be(layer.GetProperty("outputShape")[0].GetInt32());
        run.Json.GetProperty("architecture").GetString().Should().Be(description.GetProperty("architecture").GetString());
    }

    [Fact] public void Smallcnn_cifar_layers() => Check("smallcnn_cifar");
    [Fact] public void Smallcnn_mnist_layers() => Check("smallcnn_mnist");
    [Fact] public void Alexnet_layers() => Check("alexnet_small");
    [Fact] public void Resnet18_layers() => Check("resnet18_small");

    [Fact]
    public void Table_on_stdout_progress_on_stderr()
    {
        var run = Cli.Run("layers", Cli.Repo("tests/fixtures/models/smallcnn_cifar.pth"), "--input-size", "32", "--device", "cpu");
        run.Exit.Should().Be(0, run.ToString());
        run.Out.Should().Contain("conv4").And.Contain("BatchNorm2d").And.Contain("32×4×4").And.NotContain("Loading");
        run.Err.Should().Contain("Loading");
    }

    [Fact]
    public void Json_mode_prints_only_json_on_stdout()
    {
        var run = Cli.Run("layers", Cli.Repo("tests/fixtures/models/smallcnn_cifar.pth"), "--json", "--device", "cpu");
        run.Exit.Should().Be(0, run.ToString());
        run.Out.TrimStart().Should().StartWith("{");
        run.Json.GetProperty("input").GetProperty("channels").GetInt32().Should().Be(3);
    }
}
