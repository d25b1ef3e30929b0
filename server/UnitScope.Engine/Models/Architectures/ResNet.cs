using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UnitScope.Engine.Models.Architectures;

/// <param name="Bottleneck">Bottleneck blocks (ResNet-50 and up) rather than basic blocks.</param>
/// <param name="Blocks">Blocks in layer1..layer4 (ResNet-18: 2,2,2,2).</param>
/// <param name="Widths">Stem width, then the planes of layer1..layer4 (torchvision: 64, 64, 128, 256, 512).</param>
public sealed record ResNetConfig(int InChannels, bool Bottleneck, int[] Blocks, int[] Widths, int NumClasses)
{
    public static readonly IReadOnlyDictionary<string, (bool Bottleneck, int[] Blocks)> Depths =
        new Dictionary<string, (bool, int[])>
        {
            ["resnet18"] = (false, [2, 2, 2, 2]),
            ["resnet34"] = (false, [3, 4, 6, 3]),
            ["resnet50"] = (true, [3, 4, 6, 3]),
            ["resnet101"] = (true, [3, 4, 23, 3]),
            ["resnet152"] = (true, [3, 8, 36, 3]),
        };
}

/// <summary>torchvision's ResNet: conv1/bn1/relu/maxpool stem, layer1..layer4, avgpool, fc.</summary>
public sealed class ResNet : Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly ReLU relu;
    readonly MaxPool2d maxpool;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Linear fc;

    public ResNet(ResNetConfig config) : base(nameof(ResNet))
    {
        int stem = config.Widths[0];
        conv1 = Conv2d(config.InChannels, stem, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(stem);
        relu = ReLU();
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        int inPlanes = stem;
        layer1 = MakeLayer(config, config.Widths[1], config.Blocks[0], stride: 1, ref inPlanes);
        layer2 = MakeLayer(config, config.Widths[2], config.Blocks[1], stride: 2, ref inPlanes);
        layer3 = MakeLayer(config, config.Widths[3], config.Blocks[2], stride: 2, ref inPlanes);
        layer4 = MakeLayer(config, config.Widths[4], config.Blocks[3], stride: 2, ref inPlanes);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(inPlanes, config.NumClasses);
        RegisterComponents();
    }

    static Sequential MakeLayer(ResNetConfig config, int planes, int count, int stride, ref int inPlanes)
    {
        int expansion = config.Bottleneck ? Architectures.Bottleneck.Expansion : BasicBlock.Expansion;
        int outPlanes = planes * expansion;
        var layer = Sequential();
        for (int i = 0; i < count; i++)
        {
            int blockStride = i == 0 ? stride : 1;
            Sequential? downsample = i == 0 && (stride != 1 || inPlanes != outPlanes)
                ? Sequential(Conv2d(inPlanes, outPlanes, 1, stride: stride, bias: false), BatchNorm2d(outPlanes))
                : null;
            layer.append(config.Bottleneck
                ? new Bottleneck(inPlanes, planes, blockStride, downsample)
                : new BasicBlock(inPlanes, planes, blockStride, downsample));
            inPlanes = outPlanes;
        }
        return layer;
    }

    public override Tensor forward(Tensor x)
    {
        x = maxpool.call(relu.call(bn1.call(conv1.call(x))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return fc.call(torch.flatten(avgpool.call(x), 1));
    }
}
