using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UnitScope.Engine.Models.Architectures;

/// <summary>Channel counts of <see cref="SmallCnn"/>'s four conv blocks.</summary>
public sealed record SmallCnnConfig(int InChannels, int[] Widths, int NumClasses);

/// <summary>
/// The samples' small CNN (samples/train_smallcnn.py): four conv-BN-ReLU blocks, max-pooling after
/// the first three, global average pooling, one linear layer. The ReLU and pool modules are shared
/// between blocks, as in the Python source, so hooking "relu" sees its last call.
/// </summary>
public sealed class SmallCnn : Module<Tensor, Tensor>
{
    // Field order is PyTorch's registration order, so named_modules() lists layers as PyTorch does.
    readonly Conv2d conv1; readonly BatchNorm2d bn1;
    readonly Conv2d conv2; readonly BatchNorm2d bn2;
    readonly Conv2d conv3; readonly BatchNorm2d bn3;
    readonly Conv2d conv4; readonly BatchNorm2d bn4;
    readonly ReLU relu;
    readonly MaxPool2d pool;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Linear fc;

    public SmallCnn(SmallCnnConfig config) : base(nameof(SmallCnn))
    {
        var w = config.Widths;
        conv1 = Conv2d(config.InChannels, w[0], 3, padding: 1); bn1 = BatchNorm2d(w[0]);
        conv2 = Conv2d(w[0], w[1], 3, padding: 1); bn2 = BatchNorm2d(w[1]);
        conv3 = Conv2d(w[1], w[2], 3, padding: 1); bn3 = BatchNorm2d(w[2]);
        conv4 = Conv2d(w[2], w[3], 3, padding: 1); bn4 = BatchNorm2d(w[3]);
        relu = ReLU();
        pool = MaxPool2d(2);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(w[3], config.NumClasses);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        x = pool.call(relu.call(bn1.call(conv1.call(x))));
        x = pool.call(relu.call(bn2.call(conv2.call(x))));
        x = pool.call(relu.call(bn3.call(conv3.call(x))));
        x = relu.call(bn4.call(conv4.call(x)));
        return fc.call(torch.flatten(avgpool.call(x), 1));
    }
}
