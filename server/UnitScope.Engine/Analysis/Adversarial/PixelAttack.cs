using TorchSharp;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Analysis.Adversarial;

/// <summary>
/// FGSM and PGD on a batch of images in pixel space. The image x ∈ [0, 1] is the variable; the model sees
/// (x − mean) / std, computed inside the differentiated pass, so the gradient is the one with respect to the pixels and
/// ε bounds pixel changes whatever the normalisation (an ε applied to the normalised input would be ε · std in pixels,
/// a different bound per channel). FGSM is PGD with one step of ε from the clean image.
/// </summary>
public static class PixelAttack
{
    /// <summary>
    /// The attacked pixels [N, C, H, W] (float32, CPU) of <paramref name="clean"/> ([N, C, H, W] in [0, 1], any device):
    /// each step moves x by the step size along the sign of ∇ₓ CE(f(x), class) (untargeted: up the loss of the image's
    /// class; targeted: down the loss of the target), then clips it to [x₀ − ε, x₀ + ε] ∩ [0, 1].
    /// </summary>
    /// <param name="classes">Per image: the class to move away from (untargeted) or towards (targeted), as a model class index.</param>
    /// <param name="stepDone">Called after every gradient step.</param>
    /// <exception cref="OperationCanceledException">Checked before every step.</exception>
    public static Tensor Perturb(ModelSession model, Tensor clean, long[] classes, bool targeted, AttackOptions options,
        Action? stepDone = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(options);
        using var scope = NewDisposeScope();
        var device = model.Device;
        var x0 = clean.to(float32).to(device);
        var (mean, std) = Normalisation(model.Input, device);
        using var eps = Scalars.Of(options.Epsilon);
        using var step = Scalars.Of(targeted ? -options.EffectiveStepSize : options.EffectiveStepSize);
        var low = x0.sub(eps).clamp_min(Scalars.Zero);
        var high = x0.add(eps).clamp_max(Scalars.One);
        var target = tensor(classes, ScalarType.Int64).to(device);

        var x = options.Method == AttackMethod.Pgd && options.RandomStart
            ? RandomStart(x0, options, low, high)
            : x0.clone();
        for (int i = 0; i < options.EffectiveSteps; i++)
        {
            ct.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            var gradient = LossGradient(model, x, mean, std, target);
            x = x.add(gradient.sign(), step).minimum(high).maximum(low).MoveToOuterDisposeScope();
            stepDone?.Invoke();
        }
        return x.cpu().MoveToOuterDisposeScope();
    }

    /// <summary>∇ₓ of the cross-entropy of the model's output on (x − mean) / std, summed over the batch (each image's
    /// gradient is its own loss's: the images do not interact in an eval-mode model).</summary>
    public static Tensor LossGradient(ModelSession model, Tensor pixels, Tensor mean, Tensor std, Tensor classes)
    {
        using var scope = NewDisposeScope();
        var x = pixels.detach().requires_grad_(true);
        using var recording = enable_grad(); // the normalisation is differentiated too
        var input = x.sub(mean).div(std);
        return model.ForwardWithGradient(input, [], pass =>
        {
            var loss = F.cross_entropy(pass.Output.reshape(pass.Output.shape[0], -1), classes, reduction: nn.Reduction.Sum);
            return autograd.grad([loss], [x])[0].MoveToOuterDisposeScope();
        }).detach().MoveToOuterDisposeScope();
    }

    /// <summary>The model's mean and std as [1, C, 1, 1] tensors on <paramref name="device"/>.</summary>
    public static (Tensor Mean, Tensor Std) Normalisation(InputSpec spec, Device device)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return (tensor(spec.Mean, [1, spec.Channels, 1, 1]).to(device), tensor(spec.Std, [1, spec.Channels, 1, 1]).to(device));
    }

    /// <summary>A uniformly random point of the ε-ball around x₀ (clipped to [0, 1]), from <see cref="Random"/> seeded by
    /// the options: libtorch's global generator is shared with model loading on other threads, so it would not repeat.</summary>
    static Tensor RandomStart(Tensor x0, AttackOptions options, Tensor low, Tensor high)
    {
        var random = new Random(options.Seed);
        var noise = new float[x0.numel()];
        for (int i = 0; i < noise.Length; i++)
            noise[i] = (float)((2 * random.NextDouble() - 1) * options.Epsilon);
        return x0.add(tensor(noise, x0.shape).to(x0.device), Scalars.One).minimum(high).maximum(low);
    }
}
