using TorchSharp;
using TorchSharp.Modules;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UnitScope.Engine.Models.Architectures;

/// <summary>torchvision's BasicBlock (ResNet-18/34): two 3×3 convs and the identity or a 1×1 projection.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    public const int Expansion = 1;

    readonly Conv2d conv1; readonly BatchNorm2d bn1;
    readonly ReLU relu;
    readonly Conv2d conv2; readonly BatchNorm2d bn2;
    readonly Sequential? downsample;

    public BasicBlock(int inPlanes, int planes, int stride, Sequential? downsample) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false); bn1 = BatchNorm2d(planes);
        relu = ReLU();
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false); bn2 = BatchNorm2d(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var identity = downsample is null ? x : downsample.call(x);
        var y = relu.call(bn1.call(conv1.call(x)));
        y = bn2.call(conv2.call(y));
        return relu.call(y.add(identity, Scalars.One));
    }
}

/// <summary>torchvision's Bottleneck (ResNet-50/101/152): 1×1, 3×3 (strided), 1×1 ×4 convs.</summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    public const int Expansion = 4;

    readonly Conv2d conv1; readonly BatchNorm2d bn1;
    readonly Conv2d conv2; readonly BatchNorm2d bn2;
    readonly Conv2d conv3; readonly BatchNorm2d bn3;
    readonly ReLU relu;
    readonly Sequential? downsample;

    public Bottleneck(int inPlanes, int planes, int stride, Sequential? downsample) : base(nameof(Bottleneck))
    {
        conv1 = Conv2d(inPlanes, planes, 1, bias: false); bn1 = BatchNorm2d(planes);
        conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false); bn2 = BatchNorm2d(planes);
        conv3 = Conv2d(planes, planes * Expansion, 1, bias: false); bn3 = BatchNorm2d(planes * Expansion);
        relu = ReLU();
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var identity = downsample is null ? x : downsample.call(x);
        var y = relu.call(bn1.call(conv1.call(x)));
        y = relu.call(bn2.call(conv2.call(y)));
        y = bn3.call(conv3.call(y));
        return relu.call(y.add(identity, Scalars.One));
    }
}
