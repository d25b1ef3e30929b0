using UnitScope.Engine.Models.Architectures;
using static TorchSharp.torch;

namespace UnitScope.Engine.Models;

sealed class SmallCnnFamily : IArchitectureFamily
{
    public IReadOnlyList<string> Names { get; } = ["smallcnn"];
    public int DefaultInputSize => 64;

    public string? Detect(ParameterShapes s) =>
        s.Has("conv1.weight") && s.Has("conv4.weight") && s.Has("bn4.running_mean") && s.Has("fc.weight")
        && !s.Has("layer1.0.conv1.weight") ? "smallcnn" : null;

    public nn.Module<Tensor, Tensor> Build(string name, ParameterShapes s)
    {
        int[] widths = [.. Enumerable.Range(1, 4).Select(i => s.Dim($"conv{i}.weight", 0, 16 << Math.Min(i - 1, 2)))];
        return new SmallCnn(new SmallCnnConfig(s.Dim("conv1.weight", 1, 3), widths, s.Dim("fc.weight", 0, 10)));
    }
}

sealed class AlexNetFamily : IArchitectureFamily
{
    static readonly int[] ConvIndices = [0, 3, 6, 8, 10];
    static readonly int[] PublishedChannels = [64, 192, 384, 256, 256];

    public IReadOnlyList<string> Names { get; } = ["alexnet"];
    public int DefaultInputSize => 224;

    public string? Detect(ParameterShapes s) =>
        ConvIndices.All(i => s.Has($"features.{i}.weight"))
        && s.IndicesWith("features.", "weight", 4).Count == 5
        && s.Dim("features.0.weight", 2, 0) == 11
        && s.Has("classifier.6.weight") ? "alexnet" : null;

    public nn.Module<Tensor, Tensor> Build(string name, ParameterShapes s)
    {
        int[] channels = [.. ConvIndices.Select((index, k) => s.Dim($"features.{index}.weight", 0, PublishedChannels[k]))];
        return new AlexNet(new AlexNetConfig(
            s.Dim("features.0.weight", 1, 3), channels, s.Dim("classifier.1.weight", 0, 4096), s.Dim("classifier.6.weight", 0, 1000)));
    }
}

sealed class VggFamily : IArchitectureFamily
{
    public IReadOnlyList<string> Names { get; } =
        [.. Vgg.Layouts.Keys.SelectMany(n => new[] { n, n + "_bn" })];
    public int DefaultInputSize => 224;

    public string? Detect(ParameterShapes s)
    {
        if (!s.Has("features.0.weight") || !s.Has("classifier.6.weight") || s.Dim("features.0.weight", 2, 0) != 3)
            return null;
        bool batchNorm = s.Has("features.1.running_mean");
        int convs = s.IndicesWith("features.", "weight", 4).Count;
        string? depth = Vgg.Layouts.FirstOrDefault(l => l.Value.Count(w => w != Vgg.Pool) == convs).Key;
        return depth is null ? null : depth + (batchNorm ? "_bn" : "");
    }

    public nn.Module<Tensor, Tensor> Build(string name, ParameterShapes s)
    {
        bool batchNorm = name.EndsWith("_bn", StringComparison.Ordinal);
        int[] published = Vgg.Layouts[batchNorm ? name[..^3] : name];
        int modulesPerConv = batchNorm ? 3 : 2;
        var layout = new int[published.Length];
        int index = 0;
        for (int i = 0; i < published.Length; i++)
        {
            if (published[i] == Vgg.Pool)
            {
                layout[i] = Vgg.Pool;
                index += 1;
                continue;
            }
            layout[i] = s.Dim($"features.{index}.weight", 0, published[i]);
            index += modulesPerConv;
        }
        return new Vgg(new VggConfig(s.Dim("features.0.weight", 1, 3), layout, batchNorm,
            s.Dim("classifier.0.weight", 0, 4096), s.Dim("classifier.6.weight", 0, 1000)));
    }
}

sealed class ResNetFamily : IArchitectureFamily
{
    public IReadOnlyList<string> Names { get; } = [.. ResNetConfig.Depths.Keys];
    public int DefaultInputSize => 224;

    public string? Detect(ParameterShapes s)
    {
        if (!s.Has("conv1.weight") || !s.Has("layer1.0.conv1.weight") || !s.Has("fc.weight"))
            return null;
        bool bottleneck = s.Has("layer1.0.conv3.weight");
        int[] blocks = [.. Enumerable.Range(1, 4).Select(l => s.CountIndexed($"layer{l}.", "conv1.weight"))];
        return ResNetConfig.Depths.FirstOrDefault(d => d.Value.Bottleneck == bottleneck && d.Value.Blocks.SequenceEqual(blocks)).Key;
    }

    public nn.Module<Tensor, Tensor> Build(string name, ParameterShapes s)
    {
        var (bottleneck, blocks) = ResNetConfig.Depths[name];
        int[] published = [64, 64, 128, 256, 512];
        int[] widths = [s.Dim("conv1.weight", 0, 64), .. Enumerable.Range(1, 4).Select(l => s.Dim($"layer{l}.0.conv1.weight", 0, published[l]))];
        return new ResNet(new ResNetConfig(s.Dim("conv1.weight", 1, 3), bottleneck, blocks, widths, s.Dim("fc.weight", 0, 1000)));
    }
}

sealed class DcganGeneratorFamily : IArchitectureFamily
{
    public IReadOnlyList<string> Names { get; } = ["dcgan"];
    public int DefaultInputSize => 1;
    public bool IsGenerator => true;

    /// <summary>
    /// PyTorch's DCGAN generator: <c>main.{3i}.weight</c> are [in, out, 4, 4] transposed convolutions chained in
    /// to out, each but the last followed by a BatchNorm (<c>main.{3i+1}</c>), the last giving 1 or 3 channels.
    /// </summary>
    public string? Detect(ParameterShapes s)
    {
        var convs = s.IndicesWith("main.", "weight", 4);
        if (convs.Count < 2 || convs[0] != 0 || s.Dim("main.0.weight", 2, 0) != 4)
            return null;
        for (int i = 0; i < convs.Count; i++)
        {
            if (convs[i] != 3 * i) return null;
            bool last = i == convs.Count - 1;
            if (s.Has($"main.{3 * i + 1}.running_mean") == last) return null;
            if (!last && s.Dim($"main.{3 * i + 3}.weight", 0, -1) != s.Dim($"main.{3 * i}.weight", 1, -2)) return null;
        }
        return s.Dim($"main.{convs[^1]}.weight", 1, 0) is 1 or 3 ? "dcgan" : null;
    }

    public nn.Module<Tensor, Tensor> Build(string name, ParameterShapes s)
    {
        int blocks = s.IndicesWith("main.", "weight", 4).Count - 1;
        int[] widths = [.. Enumerable.Range(0, Math.Max(1, blocks)).Select(i => s.Dim($"main.{3 * i}.weight", 1, 64))];
        return new DcganGenerator(new DcganGeneratorConfig(
            s.Dim("main.0.weight", 0, 100), widths, s.Dim($"main.{3 * widths.Length}.weight", 1, 3)));
    }
}

sealed class SceneSegmenterFamily : IArchitectureFamily
{
    public IReadOnlyList<string> Names { get; } = ["scenesegmenter"];
    public int DefaultInputSize => 32;

    public string? Detect(ParameterShapes s) =>
        s.Has("stem.0.weight") && s.Has("down1.0.weight") && s.Has("down2.3.weight") && s.Dim("head.weight", 2, 0) == 1
            ? "scenesegmenter" : null;

    public nn.Module<Tensor, Tensor> Build(string name, ParameterShapes s) =>
        new SceneSegmenter(new SceneSegmenterConfig(s.Dim("stem.0.weight", 1, 3), s.Dim("stem.0.weight", 0, 16), s.Dim("head.weight", 0, 2)));
}
