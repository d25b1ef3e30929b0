using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UnitScope.Engine.Models.Architectures;

/// <param name="Channels">Output channels of the five convolutions (torchvision: 64, 192, 384, 256, 256).</param>
/// <param name="Hidden">Width of the two hidden linear layers (torchvision: 4096).</param>
public sealed record AlexNetConfig(int InChannels, int[] Channels, int Hidden, int NumClasses);

/// <summary>torchvision's AlexNet: features.{0,3,6,8,10} convs, avgpool 6×6, classifier.{1,4,6}.</summary>
public sealed class AlexNet : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Sequential classifier;

    public AlexNet(AlexNetConfig config) : base(nameof(AlexNet))
    {
        var c = config.Channels;
        features = Sequential(
            Conv2d(config.InChannels, c[0], 11, stride: 4, padding: 2), ReLU(),
            MaxPool2d(3, stride: 2),
            Conv2d(c[0], c[1], 5, padding: 2), ReLU(),
            MaxPool2d(3, stride: 2),
            Conv2d(c[1], c[2], 3, padding: 1), ReLU(),
            Conv2d(c[2], c[3], 3, padding: 1), ReLU(),
            Conv2d(c[3], c[4], 3, padding: 1), ReLU(),
            MaxPool2d(3, stride: 2));
        avgpool = AdaptiveAvgPool2d([6, 6]);
        classifier = Sequential(
            Dropout(0.5), Linear(c[4] * 36, config.Hidden), ReLU(),
            Dropout(0.5), Linear(config.Hidden, config.Hidden), ReLU(),
            Linear(config.Hidden, config.NumClasses));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        classifier.call(torch.flatten(avgpool.call(features.call(x)), 1));
}
