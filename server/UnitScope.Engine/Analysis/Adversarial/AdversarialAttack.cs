using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Adversarial;

/// <summary>
/// Attacks images with <see cref="PixelAttack"/> and gives back what a user keeps: 8-bit images. The attacked pixels are
/// rounded to 8 bits and then held to within ⌊255 ε⌋ levels of the clean ones (rounding alone could step one level past
/// ε), so the saved image keeps the bound exactly; the predictions and the success are the model's on those saved images.
/// </summary>
public static class AdversarialAttack
{
    /// <summary>Attacks <paramref name="images"/> (each resized to the model's input as <see cref="ImageTensor"/> does,
    /// and converted to its channels).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument for options out of range (naming the option), a target that
    /// is not one of the model's classes, or no images.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled (checked every step).</exception>
    public static AttackResult Run(ModelSession model, IReadOnlyList<AttackInput> images, AttackOptions options,
        IProgress<AttackProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        Check(options, model.ClassCount);
        if (images.Count == 0)
            throw Invalid("There is no image to attack.");
        var spec = model.Input;
        var clean = images.Select(i => ModelSized(i.Image, spec)).ToList();
        var cleanPredictions = Predict(model, clean);
        int levels = EpsilonLevels(options.Epsilon);
        long total = (long)Batches(images.Count, options.BatchSize).Sum(b => 1) * options.EffectiveSteps, done = 0;
        var attacked = new List<AttackedImage>(images.Count);
        foreach (var (first, count) in Batches(images.Count, options.BatchSize))
        {
            ct.ThrowIfCancellationRequested();
            var batch = clean.GetRange(first, count);
            var sources = Enumerable.Range(first, count).Select(i => images[i].TrueClass ?? ArgMax(cleanPredictions[i])).ToArray();
            long[] classes = [.. sources.Select(s => (long)(options.TargetClass ?? s))];
            List<RgbImage> saved;
            using (var scope = NewDisposeScope())
            {
                var pixels = PixelAttack.Perturb(model, Pixels(batch), classes, options.TargetClass is not null, options,
                    () => progress?.Report(new AttackProgress(AnalysisPhase.Attack, ++done, total)), ct);
                saved = [.. batch.Select((c, i) => Quantised(c, pixels[i], levels))];
            }
            var after = Predict(model, saved);
            for (int i = 0; i < count; i++)
                attacked.Add(Describe(model, images[first + i].Name, batch[i], saved[i], sources[i], cleanPredictions[first + i], after[i], options.TargetClass));
        }
        return new AttackResult(model.CheckpointHash, options, levels, attacked);
    }

    /// <summary>Checks the options against a model with <paramref name="classCount"/> classes (what <see cref="Run"/> checks first).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the option.</exception>
    public static void Check(AttackOptions o, int classCount)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (!double.IsFinite(o.Epsilon) || o.Epsilon < 1 / 255.0 - 1e-12 || o.Epsilon > 1)
            throw Invalid($"epsilon (--eps) must be 1/255 to 1 in pixel space (where 1 is white; 8/255 ≈ 0.031 is a common choice), " +
                $"not {o.Epsilon}: a change under 1/255 vanishes in an 8-bit image.");
        if (o.Method == AttackMethod.Pgd && o.Steps is < 1 or > 1000)
            throw Invalid($"steps (--steps) must be 1 to 1000, not {o.Steps}.");
        if (o.StepSize is { } a && (!double.IsFinite(a) || a <= 0 || a > 1))
            throw Invalid($"The step size (--step) must be above 0 and at most 1 in pixel space, not {a}.");
        if (o.BatchSize is < 1 or > 1024)
            throw Invalid($"The batch size must be 1 to 1024, not {o.BatchSize}.");
        if (classCount < 2)
            throw Invalid($"An attack needs a classifier with at least 2 classes; this model has {classCount} output{(classCount == 1 ? "" : "s")}.");
        if (o.TargetClass is { } t && (t < 0 || t >= classCount))
            throw Invalid($"The target class (--target) must be one of the model's {classCount} classes (0–{classCount - 1}), not {t}.");
    }

    /// <summary>ε in whole 8-bit levels, ⌊255 ε⌋ (with a margin for ε given as a rounded decimal, e.g. 0.0314 for 8/255).</summary>
    public static int EpsilonLevels(double epsilon) => (int)Math.Floor(epsilon * 255 + 1e-3);

    /// <summary>The image the model sees, as 8-bit pixels: resized to its input size (PIL's resampling, as
    /// <see cref="ImageTensor"/> does) and converted to its channel count (gray → RGB replicated, RGB → gray by luma).</summary>
    public static RgbImage ModelSized(RgbImage image, InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(spec);
        var sized = ImageResize.Resize(image, spec.Width, spec.Height, spec.Resampling);
        if (sized.Channels == spec.Channels) return sized;
        int n = sized.Width * sized.Height;
        var px = new byte[n * spec.Channels];
        for (int i = 0; i < n; i++)
            if (spec.Channels == 1)
                px[i] = ImageTensor.Luma(sized.Pixels[3 * i], sized.Pixels[3 * i + 1], sized.Pixels[3 * i + 2]);
            else
                px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = sized.Pixels[i];
        return new RgbImage(sized.Width, sized.Height, spec.Channels, px);
    }

    /// <summary>Model-sized images as pixels [N, C, H, W] in [0, 1] (bytes / 255, as torchvision's ToTensor).</summary>
    public static Tensor Pixels(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var first = images[0];
        var bytes = new byte[images.Count * first.Pixels.Length];
        for (int i = 0; i < images.Count; i++)
            images[i].Pixels.CopyTo(bytes, i * first.Pixels.Length);
        using var hwc = tensor(bytes, [images.Count, first.Height, first.Width, first.Channels]);
        using var chw = hwc.permute(0, 3, 1, 2).to(float32);
        return chw.div(255f).contiguous();
    }

    /// <summary>Attacked pixels [C, H, W] back to 8 bits, each value rounded, then held within <paramref name="levels"/> of the clean byte.</summary>
    static RgbImage Quantised(RgbImage clean, Tensor pixels, int levels)
    {
        using var hwc = pixels.permute(1, 2, 0).contiguous();
        var values = hwc.data<float>().ToArray();
        var px = new byte[values.Length];
        for (int i = 0; i < px.Length; i++)
        {
            int b = clean.Pixels[i];
            int v = (int)Math.Round(values[i] * 255.0, MidpointRounding.ToEven);
            px[i] = (byte)Math.Clamp(v, Math.Max(0, b - levels), Math.Min(255, b + levels));
        }
        return clean with { Pixels = px };
    }

    /// <summary>Softmax probabilities of the model on model-sized 8-bit images, normalised as the attack saw them.</summary>
    static float[][] Predict(ModelSession model, IReadOnlyList<RgbImage> images)
    {
        var rows = new float[images.Count][];
        using var scope = NewDisposeScope();
        var (mean, std) = PixelAttack.Normalisation(model.Input, CPU);
        var input = Pixels(images).sub(mean).div(std);
        var probabilities = model.ForwardBatch(input, [], pass =>
            pass.Output.reshape(images.Count, -1).softmax(1).cpu().data<float>().ToArray());
        int classes = probabilities.Length / images.Count;
        for (int i = 0; i < images.Count; i++)
            rows[i] = probabilities.AsSpan(i * classes, classes).ToArray();
        return rows;
    }

    static AttackedImage Describe(ModelSession model, string name, RgbImage clean, RgbImage attacked, int source,
        float[] before, float[] after, int? target)
    {
        int cleanTop = ArgMax(before), attackedTop = ArgMax(after);
        int maxChange = 0;
        for (int i = 0; i < clean.Pixels.Length; i++)
            maxChange = Math.Max(maxChange, Math.Abs(clean.Pixels[i] - attacked.Pixels[i]));
        bool succeeded = target is { } t ? attackedTop == t : attackedTop != source;
        return new AttackedImage(name, clean, attacked, source,
            new ClassScore(cleanTop, model.ClassNames[cleanTop], before[cleanTop]),
            new ClassScore(attackedTop, model.ClassNames[attackedTop], after[attackedTop]),
            before[source], after[source], target is { } tt ? after[tt] : null, succeeded, maxChange);
    }

    static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    static IEnumerable<(int First, int Count)> Batches(int count, int size)
    {
        for (int first = 0; first < count; first += size)
            yield return (first, Math.Min(size, count - first));
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);
}
