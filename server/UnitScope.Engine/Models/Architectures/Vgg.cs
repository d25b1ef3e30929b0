using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UnitScope.Engine.Models.Architectures;

/// <param name="Layout">Conv output channels in order, with <see cref="Vgg.Pool"/> for each max-pool.</param>
public sealed record VggConfig(int InChannels, int[] Layout, bool BatchNorm, int Hidden, int NumClasses);

/// <summary>torchvision's VGG: features (conv3×3 [+BN] + ReLU, max-pools), avgpool 7×7, classifier.{0,3,6}.</summary>
public sealed class Vgg : Module<Tensor, Tensor>
{
    public const int Pool = -1;

    /// <summary>torchvision's configurations A, B, D, E, as conv widths with <see cref="Pool"/>.</summary>
    public static readonly IReadOnlyDictionary<string, int[]> Layouts = new Dictionary<string, int[]>
    {
        ["vgg11"] = [64, Pool, 128, Pool, 256, 256, Pool, 512, 512, Pool, 512, 512, Pool],
        ["vgg13"] = [64, 64, Pool, 128, 128, Pool, 256, 256, Pool, 512, 512, Pool, 512, 512, Pool],
        ["vgg16"] = [64, 64, Pool, 128, 128, Pool, 256, 256, 256, Pool, 512, 512, 512, Pool, 512, 512, 512, Pool],
        ["vgg19"] = [64, 64, Pool, 128, 128, Pool, 256, 256, 256, 256, Pool, 512, 512, 512, 512, Pool, 512, 512, 512, 512, Pool],
    };

    readonly Sequential features;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Sequential classifier;

    public Vgg(VggConfig config) : base(nameof(Vgg))
    {
        features = Sequential();
        int channels = config.InChannels;
        foreach (int width in config.Layout)
        {
            if (width == Pool)
            {
                features.append(MaxPool2d(2, stride: 2));
                continue;
            }
            features.append(Conv2d(channels, width, 3, padding: 1));
            if (config.BatchNorm) features.append(BatchNorm2d(width));
            features.append(ReLU());
            channels = width;
        }
        avgpool = AdaptiveAvgPool2d([7, 7]);
        classifier = Sequential(
            Linear(channels * 49, config.Hidden), ReLU(), Dropout(),
            Linear(config.Hidden, config.Hidden), ReLU(), Dropout(),
            Linear(config.Hidden, config.NumClasses));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        classifier.call(torch.flatten(avgpool.call(features.call(x)), 1));
}
