using TorchSharp;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>The latents a GAN analysis draws and what it makes of a generator's output.</summary>
internal static class GanSampling
{
    static readonly Scalar Half = 0.5, ByteMax = 255;

    /// <summary>
    /// <paramref name="count"/> latents [count, nz, 1, 1] from N(0, 1), on the CPU, drawn from a generator seeded with
    /// <paramref name="seed"/>: the same seed gives the same samples, so dissection, ablation and insertion see the same scenes.
    /// </summary>
    public static Tensor Latents(int latentSize, int count, int seed)
    {
        using var generator = new Generator((ulong)seed);
        return randn([count, latentSize, 1, 1], generator: generator);
    }

    /// <summary>A tanh generator's output [N, C, H, W] in [−1, 1] as images in [0, 1], float32 on the CPU.</summary>
    public static Tensor ToUnitRange(Tensor generated) =>
        generated.to(ScalarType.Float32).cpu().add(Scalars.One).mul(Half).clamp(Scalars.Zero, Scalars.One);

    /// <summary>Image <paramref name="index"/> of a [N, 3, H, W] batch in [0, 1] as 8-bit RGB (rounded).</summary>
    public static RgbImage ToImage(Tensor unitRange, int index)
    {
        using var scope = NewDisposeScope();
        var hwc = unitRange[index].permute(1, 2, 0).mul(ByteMax).round().to(ScalarType.Byte).contiguous();
        return new RgbImage((int)unitRange.shape[3], (int)unitRange.shape[2], 3, hwc.data<byte>().ToArray());
    }

    /// <exception cref="UnitScopeException">InvalidArgument when <paramref name="generator"/> is not a generator of RGB images.</exception>
    public static void RequireGenerator(ModelSession generator)
    {
        if (!generator.IsGenerator)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{Path.GetFileName(generator.CheckpointPath)} ({generator.Architecture}) is not an image generator: GAN analyses need one " +
                "whose input is a latent vector (a DCGAN-style generator).");
    }
}
