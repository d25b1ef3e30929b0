using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Models.Architectures;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UnitScope.Engine.Demo;

/// <summary>
/// The GAN demo's generator: DCGAN's generator (<see cref="DcganGenerator"/>, PyTorch's names, so it loads as any DCGAN
/// checkpoint does), trained in-process on the probe scenes as the decoder of a variational autoencoder, not against a
/// discriminator. Why: a GAN's two-player training needs many thousands of steps and tuning to avoid collapse, which a
/// few minutes on two shared CPU cores do not give; a VAE's loss (reconstruction + KL to N(0, I)) falls steadily from
/// the first step, and its decoder maps latents drawn from N(0, I), as a GAN's generator does, to scenes (blurrier
/// than a GAN's, but with the sky, ground, houses and trees a segmenter can find). GAN dissection needs only the
/// latent → image map. Cached as safetensors by (scenes, options); the encoder is thrown away.
/// </summary>
public static class DemoGenerator
{
    public static string EnsureTrained(string cacheDirectory, GanDemoScenes scenes, GeneratorTrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        string path = Path.Combine(cacheDirectory, "demo", $"generator-{DemoSegmenter.Key(scenes, options)}.safetensors");
        if (File.Exists(path))
            return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var data = GanDemoData.Load(cacheDirectory, scenes, null, ct);
        int blocks = Blocks(data.Side);
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(options.Seed);
        int[] widths = [.. Enumerable.Range(0, blocks).Select(i => options.Width << (blocks - 1 - i))];
        using var decoder = new DcganGenerator(new DcganGeneratorConfig(options.LatentSize, widths, 3));
        using var encoder = new VaeEncoder(widths.Reverse().ToArray(), options.LatentSize);
        Train(encoder, decoder, data, options, progress, ct);
        SafetensorsWriter.Write(path, decoder.state_dict(), new Dictionary<string, string>
        {
            ["arch"] = "dcgan",
            ["probe_set"] = data.Probe.ContentHash,
            ["training"] = JsonSerializer.Serialize(options),
        });
        return path;
    }

    /// <summary>Hidden blocks of a DCGAN generator of <paramref name="side"/> pixels (4·2^blocks).</summary>
    static int Blocks(int side)
    {
        int blocks = (int)Math.Round(Math.Log2(side / 4.0));
        if (blocks < 1 || 4 << blocks != side)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"A DCGAN generator draws 4·2^k pixels (8, 16, 32, 64, …), not {side}.");
        return blocks;
    }

    static readonly Scalar Two = 2, Half = 0.5, MinusHalf = -0.5;

    static void Train(VaeEncoder encoder, DcganGenerator decoder, GanDemoData data, GeneratorTrainingOptions options,
        IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        using var adam = new ModelAdam(encoder.parameters().Concat(decoder.parameters()), options.LearningRate);
        using Scalar klWeight = options.KlWeight;
        var shuffle = new Random(options.Seed);
        var order = Enumerable.Range(0, data.Training).ToArray();
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            encoder.train();
            decoder.train();
            shuffle.Shuffle(order);
            using (var counts = BatchNormCounts.TakeOff(encoder, decoder))
            {
                for (int start = 0; start < data.Training; start += options.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    using var scope = torch.NewDisposeScope();
                    int[] batch = order[start..Math.Min(data.Training, start + options.BatchSize)];
                    // Images in [−1, 1], the generator's tanh range; mirrored at random (scenes keep their meaning).
                    var x = data.UnitBatch(batch).mul(Two).sub(Scalars.One);
                    var flip = torch.rand(batch.Length).lt(Half).view(-1, 1, 1, 1);
                    x = torch.where(flip, x.flip(3), x);
                    adam.ZeroGrad();
                    var (mu, logVar) = encoder.Encode(x);
                    var z = mu.add(torch.randn_like(mu).mul(logVar.mul(Half).exp()), Scalars.One);
                    var reconstruction = decoder.call(z.view(z.shape[0], z.shape[1], 1, 1));
                    var recon = nn.functional.mse_loss(reconstruction, x, Reduction.Sum).div(batch.Length);
                    // KL(N(μ, σ²) ‖ N(0, 1)) = −½ Σ (1 + log σ² − μ² − σ²), per sample.
                    var kl = logVar.add(Scalars.One).sub(mu.mul(mu)).sub(logVar.exp()).sum().mul(MinusHalf).div(batch.Length);
                    var loss = recon.add(kl, klWeight);
                    TrainingGuard.RequireFinite(loss, epoch);
                    loss.backward();
                    adam.Step();
                    counts.Step();
                    progress?.Report(new TrainingProgress(epoch, options.Epochs, Math.Min(data.Training, start + options.BatchSize), data.Training, loss.item<float>()));
                }
            }
        }
        encoder.eval();
        decoder.eval();
    }

    /// <summary>The VAE's encoder, the generator mirrored: stride-2 4×4 convolutions down to 4×4, then μ and log σ².</summary>
    sealed class VaeEncoder : Module<Tensor, Tensor>
    {
        readonly Sequential features;
        readonly Linear head;
        readonly int _latent;

        public VaeEncoder(int[] widths, int latent) : base(nameof(VaeEncoder))
        {
            _latent = latent;
            features = Sequential();
            int channels = 3;
            for (int i = 0; i < widths.Length; i++)
            {
                features.append(Conv2d(channels, widths[i], 4, stride: 2, padding: 1));
                if (i > 0) features.append(BatchNorm2d(widths[i]));
                features.append(LeakyReLU(0.2));
                channels = widths[i];
            }
            head = Linear(channels * 16, 2 * latent);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => head.call(torch.flatten(features.call(x), 1));

        public (Tensor Mu, Tensor LogVar) Encode(Tensor x)
        {
            var both = call(x);
            return (both.narrow(1, 0, _latent), both.narrow(1, _latent, _latent));
        }
    }
}
