using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Invariance;

/// <summary>
/// Invariance (Zeiler &amp; Fergus 2014, §4.3 and figure 5): each image is translated, rotated and scaled over a sweep
/// of values (<see cref="ImageTransforms"/>), and for every transformed copy the Euclidean distance between its feature
/// vector and the original's is measured at chosen layers, with the probability of the image's true class. The paper
/// finds small transformations change the lower layers' features a lot and the upper layers' less, and the output
/// is stable under translation and scaling but not rotation (except for rotationally symmetric objects).
/// </summary>
/// <remarks>
/// A feature vector is a layer's whole output for one image, flattened (units × positions). Distances are computed in
/// double from the float32 activations. Every forward pass has at least <see cref="PaddedBatch.MinRows"/> rows, so the
/// identity transform (the image itself, see <see cref="ImageTransforms.IsIdentity"/>) gives distance 0 exactly.
/// Probabilities are the softmax of the model's output (in double).
/// </remarks>
public static class InvarianceAnalysis
{
    /// <summary>Sweeps every image (each already sized for the model: <see cref="ModelSession.SizeImage"/>).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument (no image, a sweep value that leaves the image empty, a bad
    /// class or batch size, a sweep of more than 1000 values), UnknownLayer.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled (checked between batches).</exception>
    public static InvarianceResult Run(ModelSession model, IReadOnlyList<RgbImage> images, InvarianceOptions? options = null,
        IProgress<InvarianceProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        options = Resolve(model, images, options ?? new InvarianceOptions());
        var spec = model.Input;
        var layers = options.Layers!;
        var sweeps = Sweeps(options);
        int total = images.Count * sweeps.Sum(s => s.Values.Count), done = 0;
        int classes = model.ClassCount;

        var featureSizes = layers.Select(l => model.GetLayer(l).OutputShape.Aggregate(1, (a, b) => a * b)).ToList();
        var trueClasses = new int[images.Count];
        var baseProbabilities = new float[images.Count];
        var distances = sweeps.Select(s => new float[images.Count][][]).ToArray();
        var relative = sweeps.Select(s => new float[images.Count][][]).ToArray();
        var probabilities = sweeps.Select(s => new float[images.Count][]).ToArray();
        progress?.Report(new InvarianceProgress(0, total));

        for (int i = 0; i < images.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            using var imageScope = NewDisposeScope();
            var input = ImageTensor.ToInput(images[i], spec);
            // The original's features (float64, on the model's device) and class probabilities.
            var (features, baseLogits) = model.ForwardBatch(PaddedBatch.Of(input), layers, pass =>
                (layers.Select(l => Flat(pass.Activations[l], 1).MoveToOuterDisposeScope()).ToArray(), Rows(pass.Output, 1)));
            var p0 = Softmax(baseLogits, 0, classes);
            trueClasses[i] = options.TrueClass ?? ArgMax(p0);
            baseProbabilities[i] = (float)p0[trueClasses[i]];
            var norms = features.Select(f => f.norm().item<double>()).ToArray();

            for (int s = 0; s < sweeps.Count; s++)
            {
                var (kind, values) = sweeps[s];
                var d = layers.Select(_ => new float[values.Count]).ToArray();
                var r = layers.Select(_ => new float[values.Count]).ToArray();
                var p = new float[values.Count];
                for (int start = 0; start < values.Count; start += options.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    int n = Math.Min(options.BatchSize, values.Count - start);
                    using var batchScope = NewDisposeScope();
                    var batch = cat([.. Enumerable.Range(start, n).Select(v => ImageTransforms.Apply(input, kind, values[v], options.Axis))], 0);
                    model.ForwardBatch(PaddedBatch.Of(batch), layers, pass =>
                    {
                        for (int l = 0; l < layers.Count; l++)
                        {
                            var distance = Flat(pass.Activations[layers[l]], n).sub(features[l]).pow(2).sum([1]).sqrt().cpu().data<double>().ToArray();
                            for (int k = 0; k < n; k++)
                            {
                                d[l][start + k] = (float)distance[k];
                                r[l][start + k] = norms[l] > 0 ? (float)(distance[k] / norms[l]) : 0;
                            }
                        }
                        var logits = Rows(pass.Output, n);
                        for (int k = 0; k < n; k++)
                            p[start + k] = (float)Softmax(logits, k * classes, classes)[trueClasses[i]];
                        return 0;
                    });
                    done += n;
                    progress?.Report(new InvarianceProgress(done, total));
                }
                distances[s][i] = d;
                relative[s][i] = r;
                probabilities[s][i] = p;
            }
        }

        return new InvarianceResult(model.CheckpointHash, [.. images.Select(Occlusion.Occluder.ImageHash)], options, layers, featureSizes,
            model.ClassNames, trueClasses, baseProbabilities,
            [.. sweeps.Select((sw, s) => new InvarianceSweep(sw.Kind, sw.Values, distances[s], relative[s], probabilities[s]))]);
    }

    /// <summary>The options with their defaults filled in (layers, sweeps), checked.</summary>
    /// <exception cref="UnitScopeException">As <see cref="Run"/>.</exception>
    public static InvarianceOptions Resolve(ModelSession model, IReadOnlyList<RgbImage> images, InvarianceOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        if (images is not null && images.Count == 0)
            throw Invalid("Give at least one image.");
        var spec = model.Input;
        var layers = options.Layers is { Count: > 0 } given ? given.Select(l => l.Trim()).Distinct().ToList() : InvarianceSweeps.DefaultLayers(model);
        foreach (string layer in layers) model.GetLayer(layer);
        if (layers.Count == 0)
            throw Invalid("The model has no layer to compare features at.");
        var resolved = options with
        {
            Layers = layers,
            Translations = options.Translations ?? InvarianceSweeps.DefaultTranslations(options.Axis == TranslationAxis.Vertical ? spec.Height : spec.Width),
            Rotations = options.Rotations ?? InvarianceSweeps.DefaultRotations,
            Scales = options.Scales ?? InvarianceSweeps.DefaultScales,
        };
        foreach (var (kind, values) in Sweeps(resolved))
        {
            if (values.Count > MaxValues)
                throw Invalid($"The {ImageTransforms.Name(kind)} sweep has {values.Count} values; at most {MaxValues}.");
            foreach (double v in values) ImageTransforms.Check(kind, v, spec.Height, spec.Width, resolved.Axis);
        }
        if (resolved.Translations!.Count + resolved.Rotations!.Count + resolved.Scales!.Count == 0)
            throw Invalid("Every sweep (translate, rotate, scale) is empty: give values for at least one.");
        if (options.TrueClass is { } c && (c < 0 || c >= model.ClassCount))
            throw Invalid($"The true class (class) must be 0 to {model.ClassCount - 1}, not {c}.");
        if (options.BatchSize < 1)
            throw Invalid($"The batch size must be at least 1, not {options.BatchSize}.");
        return resolved;
    }

    /// <summary>The most values one sweep may have.</summary>
    public const int MaxValues = 1000;

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);

    /// <summary>The non-empty sweeps in the figure's order: translation, rotation, scale.</summary>
    static List<(TransformKind Kind, IReadOnlyList<double> Values)> Sweeps(InvarianceOptions o)
    {
        var sweeps = new List<(TransformKind, IReadOnlyList<double>)>();
        if (o.Translations is { Count: > 0 } t) sweeps.Add((TransformKind.Translation, [.. t.Select(v => (double)v)]));
        if (o.Rotations is { Count: > 0 } r) sweeps.Add((TransformKind.Rotation, r));
        if (o.Scales is { Count: > 0 } s) sweeps.Add((TransformKind.Scale, s));
        return sweeps;
    }

    /// <summary>The first <paramref name="n"/> rows of a layer's output, flattened, in float64.</summary>
    static Tensor Flat(Tensor activations, int n) => activations[..n].reshape(n, -1).to(ScalarType.Float64);

    static float[] Rows(Tensor t, int n) => t[..n].to(ScalarType.Float32).contiguous().cpu().data<float>().ToArray();

    static double[] Softmax(float[] values, int offset, int count)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < count; i++) max = Math.Max(max, values[offset + i]);
        var exp = new double[count];
        double sum = 0;
        for (int i = 0; i < count; i++) sum += exp[i] = Math.Exp(values[offset + i] - max);
        for (int i = 0; i < count; i++) exp[i] /= sum;
        return exp;
    }

    static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
