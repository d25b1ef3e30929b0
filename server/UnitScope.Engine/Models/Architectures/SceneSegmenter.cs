using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UnitScope.Engine.Models.Architectures;

/// <param name="Width">Channels of the full-resolution stem; the two downsampled stages have 2× and 4× as many.</param>
/// <param name="Outputs">Output channels: per segmented category, its concepts plus one "none" channel.</param>
public sealed record SceneSegmenterConfig(int InChannels, int Width, int Outputs);

/// <summary>
/// A small fully convolutional segmenter (UnitScope's own, for the demo's generated scenes): a stem at full
/// resolution, two stages at 1/2 and 1/4, and a 1×1 head over the hypercolumn of all three (the deeper
/// features upsampled bilinearly), so edges come from the stem and context from the deeper stages.
/// Output [N, Outputs, H, W]: logits, grouped by category (<see cref="Analysis.Gan.SegmenterLabels"/>).
/// </summary>
public sealed class SceneSegmenter : Module<Tensor, Tensor>
{
    readonly Sequential stem, down1, down2;
    readonly Conv2d head;

    public SceneSegmenter(SceneSegmenterConfig config) : base(nameof(SceneSegmenter))
    {
        int w = config.Width;
        stem = Sequential(Conv2d(config.InChannels, w, 3, padding: 1), BatchNorm2d(w), ReLU());
        down1 = Sequential(
            Conv2d(w, 2 * w, 3, stride: 2, padding: 1), BatchNorm2d(2 * w), ReLU(),
            Conv2d(2 * w, 2 * w, 3, padding: 1), BatchNorm2d(2 * w), ReLU());
        down2 = Sequential(
            Conv2d(2 * w, 4 * w, 3, stride: 2, padding: 1), BatchNorm2d(4 * w), ReLU(),
            Conv2d(4 * w, 4 * w, 3, padding: 2, dilation: 2), BatchNorm2d(4 * w), ReLU());
        head = Conv2d(7 * w, config.Outputs, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        long[] size = [x.shape[2], x.shape[3]];
        var f1 = stem.call(x);
        var f2 = down1.call(f1);
        var f3 = down2.call(f2);
        var up2 = nn.functional.interpolate(f2, size, mode: InterpolationMode.Bilinear, align_corners: false);
        var up3 = nn.functional.interpolate(f3, size, mode: InterpolationMode.Bilinear, align_corners: false);
        return head.call(torch.cat([f1, up2, up3], 1));
    }
}
