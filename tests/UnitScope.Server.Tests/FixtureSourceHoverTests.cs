using System.Text.Json;
using UnitScope.Server.References;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// The resolver on the real PyTorch source the model fixtures were made from
/// (tests/fixtures/torchvision_like.py), against those fixtures' layer names.
/// </summary>
public class FixtureSourceHoverTests
{
    private static readonly string Source = File.ReadAllText(RepoPaths.Get("tests", "fixtures", "torchvision_like.py"));

    private static string[] LayerNames(string fixture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Get("tests", "fixtures", "models", fixture + ".json")));
        return doc.RootElement.GetProperty("modules").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray();
    }

    /// <summary>Hover at <paramref name="offsetInside"/> characters into the first occurrence of <paramref name="anchor"/> after <paramref name="after"/>.</summary>
    private static void Check(string fixture, string after, string anchor, int offsetInside, string? expected)
    {
        var from = Source.IndexOf(after, StringComparison.Ordinal);
        from.Should().BeGreaterThanOrEqualTo(0, $"the fixture source contains '{after}'");
        var index = Source.IndexOf(anchor, from, StringComparison.Ordinal);
        index.Should().BeGreaterThanOrEqualTo(0, $"the fixture source contains '{anchor}' after '{after}'");
        var position = Documents.TextPositions.ToPosition(Source, index + offsetInside);
        var result = LayerReferenceResolver.Resolve(Source, position, LayerNames(fixture), SourceLanguage.Python);
        string? actual = result is null ? null : result.Exact ? result.Layers.Single() : $"{result.Reference} → {string.Join(", ", result.Layers)}";
        actual.Should().Be(expected);
    }

    [Fact] public void Alexnet_first_conv() => Check("alexnet_small", "class AlexNet", "nn.Conv2d(in_channels", 4, "features.0");
    [Fact] public void Alexnet_relu_on_the_same_line() => Check("alexnet_small", "class AlexNet", "nn.ReLU", 4, "features.1");
    [Fact] public void Alexnet_third_conv() => Check("alexnet_small", "class AlexNet", "nn.Conv2d(c2", 4, "features.6");
    [Fact] public void Alexnet_last_linear() => Check("alexnet_small", "class AlexNet", "nn.Linear(hidden, num_classes)", 4, "classifier.6");
    [Fact] public void Alexnet_classifier() => Check("alexnet_small", "class AlexNet", "self.classifier", 6, "classifier");

    [Fact]
    public void Resnet_block_conv1_lists_every_block() => Check("resnet18_small", "class BasicBlock", "self.conv1 =", 6,
        "conv1 → layer1.0.conv1, layer1.1.conv1, layer2.0.conv1, layer2.1.conv1, layer3.0.conv1, layer3.1.conv1, layer4.0.conv1, layer4.1.conv1");

    [Fact]
    public void Resnet_block_downsample_use() => Check("resnet18_small", "class BasicBlock", "self.downsample(x)", 6,
        "downsample → layer2.0.downsample, layer3.0.downsample, layer4.0.downsample");

    [Fact] public void Resnet_stem_conv1() => Check("resnet18_small", "class ResNet", "self.conv1 =", 6, "conv1");
    [Fact] public void Resnet_layer1() => Check("resnet18_small", "class ResNet", "self.layer1 =", 6, "layer1");
}
