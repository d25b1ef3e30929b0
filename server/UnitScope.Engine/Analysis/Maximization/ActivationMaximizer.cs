using TorchSharp;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Analysis.Maximization;

/// <summary>
/// Activation maximisation (Erhan et al. 2009; the multi-scale recipe of seed 004, Graetz 2018): an image is optimised
/// from noise by gradient ascent on a unit's mean activation, first small, then upscaled by
/// <see cref="MaximizationOptions.UpscaleFactor"/> and blurred between rounds, so large, low-frequency structure forms
/// first and finer detail is added on top instead of high-frequency noise.
/// </summary>
/// <remarks>
/// <para>The image is optimised in the model's own input normalisation (Adam on <c>(x − mean) / std</c>), and kept
/// inside what an 8-bit image can hold (each step clamps it to <c>[(0 − mean) / std, (1 − mean) / std]</c>), so the
/// image returned as bytes is the one that was optimised, give or take rounding.</para>
/// <para>Every forward pass is at the model's input size, whatever the round's: the round's smaller image is
/// upsampled to it (bilinear, inside the differentiated computation). The seed feeds the small image itself, which
/// only works for models that take any size; this way every model UnitScope loads (an ONNX graph of fixed size, a
/// network whose Linear layer fixes the size) takes part, and a step costs one forward and backward pass at the
/// input size.</para>
/// <para>A ReLU unit that is 0 at every position of the current image has no gradient, and plain ascent would never
/// move it (a trained model has such units for grey noise). For a ReLU layer the pass also records the ReLU's input,
/// and while the unit's objective is exactly 0 the step follows the input's objective instead (the same mean, before
/// rectification), until the unit switches on; the activations reported are always the ReLU's.</para>
/// <para>Reproducible: the starting noise and the jitter come from <see cref="Random"/> seeded with
/// <see cref="MaximizationOptions.Seed"/>, not from libtorch's global generator (which loading a model on another
/// thread draws from), so a seed gives the same bytes on a machine with the same libtorch and thread count. (Its
/// gradient passes hold oneDNN off where it computes convolutions wrong: there its backward passes also differed from
/// one run to the next, and Adam's per-pixel scaling carries such last bits into the bytes.)</para>
/// </remarks>
public static class ActivationMaximizer
{
    /// <summary>The starting image: uniform noise around mid-grey, in [0, 1] before normalisation (the seed's 150–180 of 255).</summary>
    const double NoiseLow = 150 / 255.0, NoiseHigh = 180 / 255.0;

    /// <summary>Optimises an image for <paramref name="layer"/>'s <paramref name="unit"/>.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange, InvalidArgument (an option out of range, the
    /// neuron objective on a layer without spatial maps).</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled (checked every step).</exception>
    public static MaximizationResult Run(ModelSession model, string layer, int unit, MaximizationOptions? options = null,
        IProgress<MaximizationProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new MaximizationOptions();
        var info = Validate(model, layer, unit, options);
        ct.ThrowIfCancellationRequested();
        var spec = model.Input;
        var sizes = RoundSizes(spec.Height, spec.Width, options.Rounds, options.UpscaleFactor);
        var random = new Random(options.Seed);
        int stepsTotal = options.Rounds * options.StepsPerRound, stepsDone = 0;
        var roundActivations = new List<float>();
        string[] layers = [layer];
        // A ReLU unit that is 0 at every position has no gradient to follow: while it is, the image follows the
        // gradient of the ReLU's input instead (the unit's value before rectification: what it takes to switch it on).
        string[]? before = IsRectifier(info) ? [layer] : null;

        using var scope = NewDisposeScope();
        var (low, high) = Bounds(spec);
        var image = Noise(random, spec, sizes[0][0], sizes[0][1]);
        for (int round = 0; round < options.Rounds; round++)
        {
            if (round > 0)
                image = Upscaled(image, sizes[round], options.BlurSigma, low, high);
            image.requires_grad_(true);
            using var adam = new ImageAdam(image, options.LearningRate, options.WeightDecay);
            float activation = 0;
            for (int step = 0; step < options.StepsPerRound; step++)
            {
                ct.ThrowIfCancellationRequested();
                using var stepScope = NewDisposeScope();
                using var recording = enable_grad(); // the upsampling and shift before the model are differentiated too
                int dy = Shift(random, options.Jitter), dx = Shift(random, options.Jitter);
                var ascent = model.ForwardWithGradient(ModelInput(image, spec, dy, dx), layers, pass =>
                {
                    var objective = Objective(pass.Activations[layer], unit, options.Objective, info);
                    activation = objective.item<float>();
                    if (activation == 0 && pass.Inputs is { } inputs)
                        objective = Objective(inputs[layer], unit, options.Objective, info);
                    // Adam descends: the loss is minus the objective, so its gradient is the objective's, negated.
                    return autograd.grad([objective], [image])[0].neg().MoveToOuterDisposeScope();
                }, inputsOf: before);
                adam.Step(ascent);
                using (no_grad())
                    image.clamp_(low, high);
                progress?.Report(new MaximizationProgress(round + 1, options.Rounds, ++stepsDone, stepsTotal, activation, null));
            }
            roundActivations.Add(activation);
            image = image.detach();
            if (progress is not null)
                using (no_grad())
                    progress.Report(new MaximizationProgress(round + 1, options.Rounds, stepsDone, stepsTotal, activation,
                        ToImage(ModelInput(image, spec, 0, 0), spec)));
        }

        var result = ToImage(image, spec);
        float final = ObjectiveOn(model, result, layer, unit, options.Objective, info);
        return new MaximizationResult(model.CheckpointHash, layer, unit, options, sizes, roundActivations, final, result);
    }

    /// <summary>The image the optimisation starts from for these options (the seeded noise at the first round's size,
    /// upsampled to the model's input), as 8-bit pixels: the "random image" the result is compared with.</summary>
    public static RgbImage StartImage(InputSpec spec, MaximizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        TorchRuntime.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var size = RoundSizes(spec.Height, spec.Width, options.Rounds, options.UpscaleFactor)[0];
        return ToImage(ModelInput(Noise(new Random(options.Seed), spec, size[0], size[1]), spec, 0, 0), spec);
    }

    /// <summary>The objective of <paramref name="unit"/> of <paramref name="layer"/> on an image, as the model sees it
    /// (no jitter): what <see cref="MaximizationResult.FinalActivation"/> holds.</summary>
    public static float ObjectiveOn(ModelSession model, RgbImage image, string layer, int unit, MaximizationObjective objective)
    {
        ArgumentNullException.ThrowIfNull(model);
        var info = Validate(model, layer, unit, new MaximizationOptions { Objective = objective });
        return ObjectiveOn(model, image, layer, unit, objective, info);
    }

    static float ObjectiveOn(ModelSession model, RgbImage image, string layer, int unit, MaximizationObjective objective, LayerInfo info)
    {
        using var input = ImageTensor.ToInput(image, model.Input);
        return model.ForwardBatch(input, [layer], pass => Objective(pass.Activations[layer], unit, objective, info).item<float>());
    }

    /// <summary>The side of each round's image: the input's size divided by the factor once per round still to come,
    /// rounded (at least one pixel), so the last round is at the input size.</summary>
    public static IReadOnlyList<int[]> RoundSizes(int height, int width, int rounds, double factor)
    {
        var sizes = new List<int[]>(rounds);
        for (int r = 0; r < rounds; r++)
        {
            double shrink = Math.Pow(factor, rounds - 1 - r);
            sizes.Add([Math.Max(1, (int)Math.Round(height / shrink)), Math.Max(1, (int)Math.Round(width / shrink))]);
        }
        return sizes;
    }

    static LayerInfo Validate(ModelSession model, string layer, int unit, MaximizationOptions o)
    {
        if (string.IsNullOrWhiteSpace(layer))
            throw Invalid("Name the layer (layer) whose unit the image is to excite.");
        var info = model.GetLayer(layer);
        Check(info, model.Input, unit, o);
        return info;
    }

    /// <summary>Checks a unit of a layer and the options against the layer's shape and the model's input (what
    /// <see cref="Run"/> checks first, for front ends that check before they start).</summary>
    /// <exception cref="UnitScopeException">UnitOutOfRange, InvalidArgument naming the option.</exception>
    public static void Check(LayerInfo info, InputSpec input, int unit, MaximizationOptions o)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(o);
        if (unit < 0 || unit >= info.Units)
            throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                $"Unit {unit} is out of range: layer '{info.Name}' has {info.Units} units (0–{info.Units - 1}).");
        if (o.Objective == MaximizationObjective.Neuron && info.OutputShape.Count != 3)
            throw Invalid($"The neuron objective needs a layer with spatial maps, and layer '{info.Name}' gives " +
                $"[{string.Join(", ", info.OutputShape)}] (not [units, height, width]): use the channel objective, or a convolutional layer.");
        if (o.Rounds is < 1 or > 50)
            throw Invalid($"rounds must be 1 to 50, not {o.Rounds}.");
        if (o.StepsPerRound is < 1 or > 1000)
            throw Invalid($"steps (per round) must be 1 to 1000, not {o.StepsPerRound}.");
        if (!double.IsFinite(o.UpscaleFactor) || o.UpscaleFactor is < 1 or > 4)
            throw Invalid($"The upscale factor (upscale) must be 1 to 4, not {o.UpscaleFactor}.");
        if (!double.IsFinite(o.LearningRate) || o.LearningRate <= 0 || o.LearningRate > 100)
            throw Invalid($"The learning rate (lr) must be above 0 and at most 100, not {o.LearningRate}.");
        if (!double.IsFinite(o.WeightDecay) || o.WeightDecay is < 0 or > 1)
            throw Invalid($"The weight decay must be 0 to 1, not {o.WeightDecay}.");
        if (!double.IsFinite(o.BlurSigma) || o.BlurSigma is < 0 or > 10)
            throw Invalid($"The blur (blur) must be 0 to 10 pixels (a Gaussian's sigma), not {o.BlurSigma}.");
        int side = Math.Min(input.Height, input.Width);
        if (o.Jitter < 0 || o.Jitter > side / 4)
            throw Invalid($"The jitter (jitter) must be 0 to {side / 4} pixels (a quarter of the {input.Height}x{input.Width} input), not {o.Jitter}.");
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);

    /// <summary>A ReLU (a zoo or TorchSharp module, or an ONNX Relu node): its output is max(input, 0), unit by unit.</summary>
    static bool IsRectifier(LayerInfo info) => info.Kind.Equals("ReLU", StringComparison.OrdinalIgnoreCase);

    /// <summary>The objective on one image's activations [1, units, …]: a 0-dimensional tensor.</summary>
    static Tensor Objective(Tensor activations, int unit, MaximizationObjective objective, LayerInfo info)
    {
        var map = activations[0, unit];
        if (objective == MaximizationObjective.Neuron)
            return map[info.OutputShape[1] / 2, info.OutputShape[2] / 2];
        return map.dim() == 0 ? map : map.mean();
    }

    /// <summary>[1, C, 1, 1] tensors of the normalised values of bytes 0 and 255 per channel.</summary>
    static (Tensor Low, Tensor High) Bounds(InputSpec spec)
    {
        var low = new float[spec.Channels];
        var high = new float[spec.Channels];
        for (int c = 0; c < spec.Channels; c++)
        {
            low[c] = (0 - spec.Mean[c]) / spec.Std[c];
            high[c] = (1 - spec.Mean[c]) / spec.Std[c];
        }
        return (tensor(low, [1, spec.Channels, 1, 1]), tensor(high, [1, spec.Channels, 1, 1]));
    }

    /// <summary>The starting image [1, C, h, w], normalised: uniform noise in [<see cref="NoiseLow"/>, <see cref="NoiseHigh"/>].</summary>
    static Tensor Noise(Random random, InputSpec spec, int height, int width)
    {
        var values = new float[spec.Channels * height * width];
        int plane = height * width;
        for (int i = 0; i < values.Length; i++)
        {
            int c = i / plane;
            double v = NoiseLow + (NoiseHigh - NoiseLow) * random.NextDouble();
            values[i] = (float)((v - spec.Mean[c]) / spec.Std[c]);
        }
        return tensor(values, [1, spec.Channels, height, width]);
    }

    static int Shift(Random random, int jitter) => jitter == 0 ? 0 : random.Next(-jitter, jitter + 1);

    /// <summary>What the model is fed: the image upsampled to the input size (bilinear) when smaller, shifted by
    /// (<paramref name="dy"/>, <paramref name="dx"/>) pixels with wrap-around.</summary>
    static Tensor ModelInput(Tensor image, InputSpec spec, int dy, int dx)
    {
        var x = image.shape[2] == spec.Height && image.shape[3] == spec.Width
            ? image
            : F.interpolate(image, [spec.Height, spec.Width], mode: InterpolationMode.Bilinear, align_corners: false);
        return dy == 0 && dx == 0 ? x : x.roll([dy, dx], [2, 3]);
    }

    /// <summary>The image taken to the next round's size (bilinear), blurred, clamped to the byte range; a new leaf.</summary>
    static Tensor Upscaled(Tensor image, int[] size, double sigma, Tensor low, Tensor high)
    {
        using var noGrad = no_grad();
        var x = F.interpolate(image.detach(), [size[0], size[1]], mode: InterpolationMode.Bilinear, align_corners: false);
        if (sigma > 0)
            x = GaussianBlur(x, sigma);
        return x.clamp(low, high).detach();
    }

    /// <summary>
    /// A separable Gaussian blur of each channel (radius 3σ, at most the side − 1), the borders reflected. Written as a
    /// weighted sum of shifted copies rather than a depthwise convolution: a 3-channel convolution outside the model's
    /// passes would run on oneDNN, which computes some convolutions wrong on these CPUs (<see cref="OneDnnConvolutions"/>).
    /// </summary>
    internal static Tensor GaussianBlur(Tensor x, double sigma)
    {
        int height = (int)x.shape[2], width = (int)x.shape[3];
        int radius = Math.Min((int)Math.Ceiling(3 * sigma), Math.Min(height, width) - 1);
        if (radius < 1)
            return x;
        var weights = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++)
            sum += weights[i + radius] = Math.Exp(-i * i / (2 * sigma * sigma));
        var padded = F.pad(x, [radius, radius, radius, radius], PaddingModes.Reflect);
        var rows = WeightedShifts(padded, 3, width, weights, sum);
        return WeightedShifts(rows, 2, height, weights, sum);
    }

    /// <summary>Σ_k w_k / sum · x.narrow(dim, k, length): one 1-D pass of the blur.</summary>
    static Tensor WeightedShifts(Tensor x, int dim, int length, double[] weights, double sum)
    {
        Tensor? result = null;
        for (int k = 0; k < weights.Length; k++)
        {
            using Scalar w = weights[k] / sum;
            var term = x.narrow(dim, k, length).mul(w);
            result = result is null ? term : result.add_(term);
        }
        return result!;
    }

    /// <summary>A normalised image [1, C, H, W] as 8-bit pixels: de-normalised, ×255, rounded, clamped.</summary>
    internal static RgbImage ToImage(Tensor image, InputSpec spec)
    {
        using var scope = NewDisposeScope();
        int channels = spec.Channels, height = (int)image.shape[2], width = (int)image.shape[3];
        var values = image.detach().to(ScalarType.Float32).contiguous().cpu().data<float>().ToArray();
        var pixels = new byte[channels * height * width];
        int plane = height * width;
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < plane; p++)
            {
                double v = (values[c * plane + p] * spec.Std[c] + spec.Mean[c]) * 255;
                pixels[p * channels + c] = (byte)Math.Clamp(Math.Round(v), 0, 255);
            }
        return new RgbImage(width, height, channels, pixels);
    }
}
