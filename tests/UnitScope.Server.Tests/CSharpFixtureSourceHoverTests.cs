using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.References;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// The resolver on the C# file the TorchSharp model fixtures are built from (tests/fixtures/torchsharp_models/Models.cs:
/// ConvBlock, TinyCnn, WideCnn, OddNet and more in one file), against two of those models' layer catalogs: each model
/// gets its own classes, none of the others'.
/// </summary>
public class CSharpFixtureSourceHoverTests
{
    private static readonly string Source = File.ReadAllText(RepoPaths.Get("tests", "fixtures", "torchsharp_models", "Models.cs"));

    /// <summary>
    /// TinyCnn as the daemon catalogs it: names and kinds (the module's type name) are what the Engine's
    /// CSharpModelTests check on the real loaded class.
    /// </summary>
    private static readonly LayerInfo[] TinyCnn =
    [
        L("stem", "ConvBlock"), L("stem.conv", "Conv2d"), L("stem.bn", "BatchNorm2d"), L("stem.relu", "ReLU"), L("pool", "MaxPool2d"),
        L("block", "ConvBlock"), L("block.conv", "Conv2d"), L("block.bn", "BatchNorm2d"), L("block.relu", "ReLU"),
        L("avgpool", "AdaptiveAvgPool2d"), L("fc", "Linear"),
    ];

    private static LayerInfo L(string name, string kind) => new(name, kind, 1, [1]);

    /// <summary>OddNet exported to ONNX by PyTorch (odd_channels/oddnet.json): its taps with ONNX's kinds (Conv, Gemm, …).</summary>
    private static LayerInfo[] OddNetOnnx()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Get("tests", "fixtures", "odd_channels", "oddnet.json")));
        return doc.RootElement.GetProperty("taps").EnumerateArray()
            .Select(t => L(t.GetProperty("path").GetString()!, t.GetProperty("kind").GetString()!)).ToArray();
    }

    /// <summary>Hover at <paramref name="offsetInside"/> characters into the first <paramref name="anchor"/> after <paramref name="after"/>.</summary>
    private static void Check(LayerInfo[] layers, string after, string anchor, int offsetInside, string? expected)
    {
        var from = Source.IndexOf(after, StringComparison.Ordinal);
        from.Should().BeGreaterThanOrEqualTo(0, $"the fixture source contains '{after}'");
        var index = Source.IndexOf(anchor, from, StringComparison.Ordinal);
        index.Should().BeGreaterThanOrEqualTo(0, $"the fixture source contains '{anchor}' after '{after}'");
        var position = Documents.TextPositions.ToPosition(Source, index + offsetInside);
        var result = LayerReferenceResolver.Resolve(Source, position, layers, SourceLanguage.CSharp);
        string? actual = result is null ? null : result.Exact ? result.Layers.Single() : $"{result.Reference} → {string.Join(", ", result.Layers)}";
        actual.Should().Be(expected);
    }

    [Fact] public void TinyCnn_its_classifier_field() => Check(TinyCnn, "class TinyCnn", "Linear fc;", 8, "fc");
    [Fact] public void TinyCnn_its_block_constructed() => Check(TinyCnn, "class TinyCnn", "block = new ConvBlock", 2, "block");
    [Fact] public void TinyCnn_its_stem_called_in_forward() => Check(TinyCnn, "class TinyCnn", "stem.call(x)", 2, "stem");
    [Fact] public void TinyCnn_block_class_conv_is_in_both_blocks() => Check(TinyCnn, "class ConvBlock", "conv = Conv2d", 2, "conv → stem.conv, block.conv");
    [Fact] public void TinyCnn_block_class_norm_in_forward() => Check(TinyCnn, "class ConvBlock", "bn.call", 1, "bn → stem.bn, block.bn");
    [Fact] public void TinyCnn_wide_variant_with_an_extra_layer_says_nothing() => Check(TinyCnn, "class WideCnn", "fc = Linear(16", 1, null);
    [Fact] public void TinyCnn_oddnets_classifier_says_nothing() => Check(TinyCnn, "class OddNet", "fc = Linear(100", 1, null);
    [Fact] public void TinyCnn_oddnets_pool_says_nothing() => Check(TinyCnn, "class OddNet", "avgpool = AdaptiveAvgPool2d", 3, null);

    [Fact] public void OddNet_onnx_its_third_convolution() => Check(OddNetOnnx(), "class OddNet", "conv3 = Conv2d", 2, "conv3");
    [Fact] public void OddNet_onnx_its_classifier() => Check(OddNetOnnx(), "class OddNet", "fc.call", 1, "fc");
    [Fact] public void OddNet_onnx_tinycnns_classifier_says_nothing() => Check(OddNetOnnx(), "class TinyCnn", "fc = Linear(width", 1, null);
    [Fact] public void OddNet_onnx_block_class_says_nothing() => Check(OddNetOnnx(), "class ConvBlock", "conv = Conv2d", 2, null);
}
