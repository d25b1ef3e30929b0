using System.Text.Json;
using UnitScope.Protocol;
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

    /// <summary>The fixture's modules as PyTorch listed them: names and kinds.</summary>
    private static LayerInfo[] Layers(string fixture)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Get("tests", "fixtures", "models", fixture + ".json")));
        return doc.RootElement.GetProperty("modules").EnumerateArray()
            .Select(m => new LayerInfo(m.GetProperty("name").GetString()!, m.GetProperty("kind").GetString()!, 1, [1])).ToArray();
    }

    /// <summary>Hover at <paramref name="offsetInside"/> characters into the first occurrence of <paramref name="anchor"/> after <paramref name="after"/>.</summary>
    private static void Check(string fixture, string after, string anchor, int offsetInside, string? expected)
    {
        var from = Source.IndexOf(after, StringComparison.Ordinal);
        from.Should().BeGreaterThanOrEqualTo(0, $"the fixture source contains '{after}'");
        var index = Source.IndexOf(anchor, from, StringComparison.Ordinal);
        index.Should().BeGreaterThanOrEqualTo(0, $"the fixture source contains '{anchor}' after '{after}'");
        var position = Documents.TextPositions.ToPosition(Source, index + offsetInside);
        var result = LayerReferenceResolver.Resolve(Source, position, Layers(fixture), SourceLanguage.Python);
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

    // The file defines AlexNet, VGG, BasicBlock, Bottleneck and ResNet: each model gets only its own classes.

    [Fact]
    public void Resnet50_bottleneck_conv3_lists_every_block() => Check("resnet50_small", "class Bottleneck", "self.conv3 =", 6,
        "conv3 → layer1.0.conv3, layer1.1.conv3, layer1.2.conv3, layer2.0.conv3, layer2.1.conv3, layer2.2.conv3, layer2.3.conv3, "
        + "layer3.0.conv3, layer3.1.conv3, layer3.2.conv3, layer3.3.conv3, layer3.4.conv3, layer3.5.conv3, layer4.0.conv3, layer4.1.conv3, layer4.2.conv3");

    [Fact] public void Resnet50_basic_block_is_no_block_of_it() => Check("resnet50_small", "class BasicBlock", "self.conv1 =", 6, null);
    [Fact] public void Resnet18_bottleneck_is_no_block_of_it() => Check("resnet18_small", "class Bottleneck", "self.conv1 =", 6, null);
    [Fact] public void Alexnet_classifier_is_not_vggs() => Check("alexnet_small", "class VGG", "self.classifier", 6, null);
    [Fact] public void Vgg_classifier_is_not_alexnets() => Check("vgg16_small", "class AlexNet", "self.classifier", 6, null);
    [Fact] public void Vgg_classifier() => Check("vgg16_small", "class VGG", "self.classifier", 6, "classifier");
    [Fact]
    public void Sample_training_script_class_is_the_bundled_models()
    {
        // The script the hover demo opens (samples/train_smallcnn.py): its SmallCNN against PyTorch's SmallCNN modules.
        var sample = File.ReadAllText(RepoPaths.Get("samples", "train_smallcnn.py"));
        var position = Documents.TextPositions.ToPosition(sample, sample.IndexOf("self.bn4(self.conv4(x))", StringComparison.Ordinal) + 17);
        var result = LayerReferenceResolver.Resolve(sample, position, Layers("smallcnn_cifar"), SourceLanguage.Python);
        result.Should().NotBeNull();
        result!.Layers.Should().Equal("conv4");
        result.Exact.Should().BeTrue();
    }

    [Fact] public void Vgg_last_linear() => Check("vgg16_small", "class VGG", "nn.Linear(hidden, num_classes)", 4, "classifier.6");
}
