using System.Security.Cryptography;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Occlusion;

/// <summary>
/// Occlusion sensitivity (Zeiler &amp; Fergus, "Visualizing and understanding convolutional networks", 2014,
/// §4.2 and figure 7): a square of one colour is slid over the image, and for every position the model's
/// output and a unit's activity are recorded. Where the square hides what the model relies on, the target
/// class's probability (and the unit's activity, if it detects that thing) drops.
/// </summary>
/// <remarks>
/// The image is preprocessed once as for a prediction (resized to the model's input, normalised); each
/// occluded copy is that tensor with the square's pixels set to the fill's normalised value, so the fill
/// "mean" is exactly 0 in every channel. Copies are run <see cref="OcclusionOptions.BatchSize"/> at a time.
/// <para>Batching changes the speed, not the numbers: every forward pass here has at least <see cref="MinRowsPerPass"/>
/// rows (<see cref="PaddedBatch"/>: the unoccluded image, the last batch, a batch size below that are padded), so a
/// position's numbers are the same whatever the batch size (tested on the zoo's architectures).</para>
/// Probabilities are the softmax of the model's output (computed in double, stored as float), or for a model with one
/// output (a score) that output itself; a unit's total
/// activation is the sum of its map (in double).
/// </remarks>
public static class Occluder
{
    /// <summary>The fewest rows a forward pass is given (see the remarks).</summary>
    public const int MinRowsPerPass = PaddedBatch.MinRows;

    /// <summary>Computes the occlusion maps of <paramref name="image"/>: the image as sized for the model
    /// (<see cref="ModelSession.SizeImage"/>, its description's resize and centre crop), which is not sized again here.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument (square larger than the input, stride or batch size below 1,
    /// a bad fill, target class out of range), UnknownLayer, UnitOutOfRange.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled (checked between batches).</exception>
    public static OcclusionResult Run(ModelSession model, RgbImage image, OcclusionOptions? options = null,
        IProgress<OcclusionProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        options = Validate(model, options ?? new OcclusionOptions());
        ct.ThrowIfCancellationRequested();
        var spec = model.Input;
        int[] ys = Positions(spec.Height, options.Size, options.Stride);
        int[] xs = Positions(spec.Width, options.Size, options.Stride);
        float[] fill = FillValues(spec, options.FillRgb);
        string? layer = options.Layer ?? DefaultLayer(model);
        string[] layers = layer is null ? [] : [layer];

        using var scope = NewDisposeScope();
        var input = ImageTensor.ToInput(image, spec);

        // The unoccluded image: predicted class, target's probability, every unit's total activation.
        var (baseProbabilities, unitTotals) = model.ForwardBatch(PaddedBatch.Of(input), layers, pass =>
        {
            var logits = Rows(pass.Output, 1);
            float[]? totals = layer is null ? null : Totals(Rows(pass.Activations[layer], 1), (int)pass.Activations[layer].shape[1]);
            return (Scores(logits, 0, logits.Length), totals);
        });
        int predicted = ArgMax(baseProbabilities);
        int target = options.TargetClass ?? predicted;
        if (target >= baseProbabilities.Length)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Target class {target} is out of range: the model has {baseProbabilities.Length} classes (0–{baseProbabilities.Length - 1}).");
        int? unit = layer is null ? null : options.Unit ?? ArgMax(unitTotals!);
        var resolved = options with { TargetClass = target, Layer = layer, Unit = unit };

        int count = ys.Length * xs.Length;
        var targetProbability = new float[count];
        var bestClass = new int[count];
        var bestProbability = new float[count];
        float[]? activity = unit is null ? null : new float[count];
        progress?.Report(new OcclusionProgress(0, count));
        for (int start = 0; start < count; start += options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(options.BatchSize, count - start);
            using var batchScope = NewDisposeScope();
            var batch = PaddedBatch.Of(Occluded(input, start, n, ys, xs, options.Size, fill));
            model.ForwardBatch(batch, layers, pass =>
            {
                // Two copies out per batch and the rest in managed code: on a busy CPU every small libtorch op
                // waits for its thread pool, so few ops keep occlusion close to the forward passes' own time.
                var logits = Rows(pass.Output, n);
                int classes = logits.Length / n;
                for (int i = 0; i < n; i++)
                {
                    var p = Scores(logits, i * classes, classes);
                    int best = ArgMax(p);
                    targetProbability[start + i] = p[target];
                    bestClass[start + i] = best;
                    bestProbability[start + i] = p[best];
                }
                if (activity is not null)
                    Totals(Rows(pass.Activations[layer!][.., unit!.Value], n), n).CopyTo(activity.AsSpan(start, n));
                return 0;
            });
            progress?.Report(new OcclusionProgress(start + n, count));
        }

        return new OcclusionResult(model.CheckpointHash, ImageHash(image), resolved, spec.Height, spec.Width, ys, xs,
            model.ClassNames, target, baseProbabilities[target], predicted, baseProbabilities[predicted],
            targetProbability, bestClass, bestProbability,
            unit is null ? null : unitTotals![unit.Value], activity);
    }

    /// <summary>
    /// The image's identity in cache keys: SHA-256 (lowercase hex) of its width, height and channel count
    /// (int32 little-endian each) followed by its pixels. Two files that decode to the same pixels share it.
    /// </summary>
    public static string ImageHash(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> head = stackalloc byte[12];
        BitConverter.TryWriteBytes(head[..4], image.Width);
        BitConverter.TryWriteBytes(head[4..8], image.Height);
        BitConverter.TryWriteBytes(head[8..], image.Channels);
        if (!BitConverter.IsLittleEndian) { head[..4].Reverse(); head[4..8].Reverse(); head[8..].Reverse(); }
        sha.AppendData(head);
        sha.AppendData(image.Pixels);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>
    /// The layer used when none is named, the counterpart of Zeiler–Fergus's last conv layer: the last one (in
    /// named_modules() order) with [C, H, W] maps larger than 1×1 that is not a pooling layer (a VGG's last ReLU,
    /// a ResNet's layer4), else the last with [C, H, W] maps; null when there is none.
    /// </summary>
    public static string? DefaultLayer(ModelSession model)
    {
        var last = model.Layers.LastOrDefault(l => l.OutputShape.Count == 3 && l.OutputShape[1] * l.OutputShape[2] > 1
                && !l.Kind.Contains("Pool", StringComparison.OrdinalIgnoreCase))
            ?? model.Layers.LastOrDefault(l => l.OutputShape.Count == 3);
        if (last is null)
            return null;
        // named_modules() lists a block's children after it: the last entry of a ResNet is layer4.1.bn2, inside
        // the block whose output (layer4) is the stage's. Take the outermost container with the same output.
        var byName = model.Layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        string chosen = last.Name;
        for (int dot = chosen.LastIndexOf('.'); dot > 0; dot = chosen.LastIndexOf('.', dot - 1))
            if (byName.TryGetValue(last.Name[..dot], out var parent) && parent.OutputShape.SequenceEqual(last.OutputShape)
                && IsLastChild(model, parent.Name, last.Name))
                chosen = parent.Name;
        return chosen;
    }

    /// <summary>Whether <paramref name="descendant"/> is the last layer listed under <paramref name="parent"/> (so its output can be the parent's).</summary>
    static bool IsLastChild(ModelSession model, string parent, string descendant) =>
        model.Layers.Last(l => l.Name.StartsWith(parent + ".", StringComparison.Ordinal)).Name == descendant;

    /// <summary>Square start positions along one side: 0, stride, 2·stride, … while the square fits, plus
    /// side − size when the last one stops short of the edge.</summary>
    public static int[] Positions(int side, int size, int stride)
    {
        var positions = new List<int>();
        for (int p = 0; p + size <= side; p += stride)
            positions.Add(p);
        if (positions.Count == 0 || positions[^1] + size < side)
            positions.Add(side - size);
        return [.. positions];
    }

    static OcclusionOptions Validate(ModelSession model, OcclusionOptions o)
    {
        var spec = model.Input;
        if (o.Size < 1 || o.Size > Math.Min(spec.Height, spec.Width))
            throw Invalid($"The occluding square's size must be 1 to {Math.Min(spec.Height, spec.Width)} pixels (the model's input is {spec.Height}x{spec.Width}), not {o.Size}.");
        if (o.Stride < 1)
            throw Invalid($"The stride must be at least 1 pixel, not {o.Stride}.");
        if (o.BatchSize < 1)
            throw Invalid($"The batch size must be at least 1, not {o.BatchSize}.");
        if (o.FillRgb is { } fill && (fill.Count is not (1 or 3) || fill.Any(v => v is < 0 or > 255)))
            throw Invalid($"The fill colour must be one value or R,G,B, each 0–255, not {string.Join(",", fill)}.");
        if (o.TargetClass is < 0)
            throw Invalid($"The target class must be a class index from 0, not {o.TargetClass}.");
        if (o.Layer is { } layer)
        {
            var info = model.GetLayer(layer);
            if (o.Unit is { } u && (u < 0 || u >= info.Units))
                throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                    $"Unit {u} is out of range: layer '{layer}' has {info.Units} units (0–{info.Units - 1}).");
        }
        else if (o.Unit is not null)
        {
            throw Invalid("A unit was given without its layer: name the layer too.");
        }
        return o;
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);

    /// <summary>The fill's value per input channel after normalisation: 0 for the mean.</summary>
    static float[] FillValues(InputSpec spec, IReadOnlyList<int>? rgb)
    {
        var values = new float[spec.Channels];
        if (rgb is null)
            return values;
        int[] bytes = spec.Channels == 1
            ? [rgb.Count == 1 ? rgb[0] : ImageTensor.Luma((byte)rgb[0], (byte)rgb[1], (byte)rgb[2])]
            : rgb.Count == 1 ? [rgb[0], rgb[0], rgb[0]] : [rgb[0], rgb[1], rgb[2]];
        // The same arithmetic as ImageTensor's, so a fill equal to an image's colour gives its very values.
        for (int c = 0; c < spec.Channels; c++)
            values[c] = bytes[c] * (1f / 255f / spec.Std[c]) - spec.Mean[c] / spec.Std[c];
        return values;
    }

    /// <summary>[n, C, H, W]: copies of <paramref name="input"/> with positions start … start + n − 1 occluded: the
    /// squares as one mask built in managed memory, written by one in-place fill per distinct fill value (rather than
    /// n × C small slice fills or a <c>where</c> that rewrites the whole batch).</summary>
    static Tensor Occluded(Tensor input, int start, int n, int[] ys, int[] xs, int size, float[] fill)
    {
        int h = (int)input.shape[2], w = (int)input.shape[3];
        var mask = new bool[n * h * w];
        for (int i = 0; i < n; i++)
        {
            int y0 = ys[(start + i) / xs.Length], x0 = xs[(start + i) % xs.Length];
            for (int y = y0; y < Math.Min(h, y0 + size); y++)
                mask.AsSpan(i * h * w + y * w + x0, Math.Min(w, x0 + size) - x0).Fill(true);
        }
        var batch = input.expand(n, -1, -1, -1).clone();
        var square = tensor(mask, [n, 1, h, w]);
        if (fill.All(v => v == fill[0]))
        {
            using TorchSharp.Scalar value = Scalars.Of(fill[0]);
            batch.masked_fill_(square, value);
        }
        else
            for (int c = 0; c < fill.Length; c++)
            {
                using TorchSharp.Scalar value = Scalars.Of(fill[c]);
                batch[.., c..(c + 1)].masked_fill_(square, value);
            }
        return batch;
    }

    /// <summary>The first <paramref name="n"/> rows of <paramref name="t"/> as float32 values, row-major (one copy to the CPU).</summary>
    static float[] Rows(Tensor t, int n) => t[..n].to(ScalarType.Float32).contiguous().cpu().data<float>().ToArray();

    /// <summary>What occlusion follows: the softmax of the outputs, or a one-output model's output itself (a score, such
    /// as a discriminator's: the softmax of one value is always 1, so nothing would change).</summary>
    static float[] Scores(float[] values, int offset, int count) => count == 1 ? [values[offset]] : Softmax(values, offset, count);

    /// <summary>Softmax of values[offset … offset + count), in double, as float.</summary>
    static float[] Softmax(float[] values, int offset, int count)
    {
        double max = double.NegativeInfinity;
        for (int i = 0; i < count; i++) max = Math.Max(max, values[offset + i]);
        var exp = new double[count];
        double sum = 0;
        for (int i = 0; i < count; i++) sum += exp[i] = Math.Exp(values[offset + i] - max);
        var result = new float[count];
        for (int i = 0; i < count; i++) result[i] = (float)(exp[i] / sum);
        return result;
    }

    /// <summary>Sums of <paramref name="groups"/> equal consecutive runs of <paramref name="values"/> (a map's "total activation"), in double.</summary>
    static float[] Totals(float[] values, int groups)
    {
        int length = values.Length / groups;
        var totals = new float[groups];
        for (int g = 0; g < groups; g++)
        {
            double sum = 0;
            for (int i = g * length; i < (g + 1) * length; i++) sum += values[i];
            totals[g] = (float)sum;
        }
        return totals;
    }

    static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
