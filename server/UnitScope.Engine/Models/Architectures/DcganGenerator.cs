using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UnitScope.Engine.Models.Architectures;

/// <param name="LatentSize">nz: the latent vector's length; the input is [N, nz, 1, 1].</param>
/// <param name="Widths">Channels after each hidden ConvTranspose block, first (4×4) to last.</param>
/// <param name="OutChannels">The image's channels (3 for RGB).</param>
public sealed record DcganGeneratorConfig(int LatentSize, int[] Widths, int OutChannels);

/// <summary>
/// The DCGAN generator of PyTorch's examples (Radford et al. 2016; <c>examples/dcgan/main.py</c>), with its
/// parameter names: <c>main</c> is a Sequential of ConvTranspose2d(nz, w0, 4, 1, 0) + BN + ReLU, then per further
/// width ConvTranspose2d(w, w', 4, 2, 1) + BN + ReLU, then ConvTranspose2d(w_last, channels, 4, 2, 1) + Tanh, all
/// convolutions without bias. The image side is 4·2^(number of widths): 32 px for three widths, 64 for four.
/// </summary>
public sealed class DcganGenerator : Module<Tensor, Tensor>
{
    readonly Sequential main;

    public DcganGenerator(DcganGeneratorConfig config) : base(nameof(DcganGenerator))
    {
        if (config.Widths.Length == 0)
            throw new ArgumentException("A DCGAN generator needs at least one hidden block.", nameof(config));
        main = Sequential();
        int channels = config.LatentSize;
        for (int i = 0; i < config.Widths.Length; i++)
        {
            main.append(i == 0
                ? ConvTranspose2d(channels, config.Widths[i], 4, stride: 1, padding: 0, bias: false)
                : ConvTranspose2d(channels, config.Widths[i], 4, stride: 2, padding: 1, bias: false));
            main.append(BatchNorm2d(config.Widths[i]));
            main.append(ReLU());
            channels = config.Widths[i];
        }
        main.append(ConvTranspose2d(channels, config.OutChannels, 4, stride: 2, padding: 1, bias: false));
        main.append(Tanh());
        RegisterComponents();
    }

    /// <summary>Images in [−1, 1], [N, channels, side, side], from latents [N, nz, 1, 1] (or [N, nz]).</summary>
    public override Tensor forward(Tensor z) =>
        main.call(z.dim() == 2 ? z.view(z.shape[0], z.shape[1], 1, 1) : z);
}
