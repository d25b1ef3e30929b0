using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Ablation;

/// <summary>
/// Evaluates a model on images under several unit masks at once: for mask k (a set of a layer's units to
/// zero) and image i, the predicted class and the log-probability of the image's true class.
/// </summary>
/// <remarks>
/// <para>Each forward pass takes B images and K masks (K·B ≤ the batch size, as many masks as fit). The
/// layer's output for the B images is computed once and, in a forward hook, repeated K times (mask-major:
/// row k·B + b) and multiplied by the masks' channel patterns, so everything before the layer is computed
/// once per image instead of once per mask ("expand"). That is right only where nothing after the layer
/// mixes the repeated rows with values computed before it: a residual addition of the un-repeated input
/// (broadcasts for B = 1, which is exact, fails for B &gt; 1), a reshape by a batch size read before the
/// layer, an ONNX graph (its shape arithmetic is cached per input shape, so its taps refuse to change a
/// shape). So the input itself repeated K times ("replicate": every value in the pass has K·B rows, each
/// sample its own) is the reference: on the first pass, the first two images and masks go through the
/// model replicated, then expanded for several images, then for one image at a time, and the first way
/// whose log-probabilities agree with the reference's is kept; none agreeing (or failing), replicate.
/// Where even the reference fails (an ONNX graph exported with a fixed batch of one), one sample a
/// pass.</para>
/// <para>Zeroing is a multiplication by 0 or 1: units not zeroed keep their exact values.</para>
/// </remarks>
internal static class MaskedEvaluation
{
    internal enum Mode { Expand, ExpandOneImage, Replicate, OneSample }

    /// <summary>Largest difference of log-probabilities between a way of batching and the reference that still agrees (rounding is about 1e-6).</summary>
    const float Agreement = 1e-3f;

    /// <summary>Preprocessed images kept in memory to evaluate mask set by mask set (see <c>masksCompleted</c>).</summary>
    const long PreloadBytes = 256L << 20;

    /// <summary>Per mask (outer) and image (inner): the predicted model class and the log-probability of the true class.</summary>
    internal sealed record Outcome(int[][] Predicted, float[][] LogProbability, Mode Mode);

    /// <param name="images">Indices into <paramref name="data"/>.</param>
    /// <param name="trueClass">The model's class index for each of <paramref name="images"/>.</param>
    /// <param name="masks">Per mask, the units to zero (an empty one: the model as is).</param>
    /// <param name="masksCompleted">Told (first mask, count) when those masks' results are complete for every image:
    /// set by set when the preprocessed images fit in <see cref="PreloadBytes"/> (then evaluated mask set by mask set),
    /// else once at the end.</param>
    /// <param name="results">Receives the outcome (filled in as it goes) before the first pass, for <paramref name="masksCompleted"/> to read.</param>
    /// <param name="skips">Where images that cannot be read are recorded; they are left out (their rows in the outcome
    /// mean nothing: see <see cref="ImageSkips.IsSkipped"/>), and images it already holds are not read again.</param>
    public static Outcome Run(ModelSession model, IEvaluationSet data, int[] images, int[] trueClass, string layer,
        IReadOnlyList<int[]> masks, int batchSize, AnalysisPhase phase, IProgress<AblationProgress>? progress, CancellationToken ct,
        Action<int, int>? masksCompleted = null, Outcome[]? results = null, Mode? forceMode = null, ImageSkips? skips = null)
    {
        skips ??= new ImageSkips();
        var info = model.GetLayer(layer);
        int units = info.Units, m = masks.Count;
        var predicted = new int[m][];
        var logProbability = new float[m][];
        for (int k = 0; k < m; k++)
        {
            predicted[k] = new int[images.Length];
            logProbability[k] = new float[images.Length];
        }
        int perPass = Math.Min(m, batchSize);
        int imagesPerPass = Math.Max(1, batchSize / perPass);
        long done = 0, total = (long)m * images.Length;
        progress?.Report(new AblationProgress(phase, 0, total));
        if (images.Length == 0)
            return new Outcome(predicted, logProbability, forceMode ?? Mode.Expand);
        var mode = forceMode ?? FindMode(model, data, images, layer, masks, units, imagesPerPass, skips);
        if (results is { Length: > 0 })
            results[0] = new Outcome(predicted, logProbability, mode);
        if (mode is Mode.ExpandOneImage or Mode.OneSample)
            imagesPerPass = 1;
        if (mode == Mode.OneSample)
            perPass = 1;

        void Store((int[] Predicted, float[] LogProbability) rows, int k0, int k, int[] positions)
        {
            int b = positions.Length;
            for (int kk = 0; kk < k; kk++)
                for (int i = 0; i < b; i++)
                {
                    predicted[k0 + kk][positions[i]] = rows.Predicted[kk * b + i];
                    logProbability[k0 + kk][positions[i]] = rows.LogProbability[kk * b + i];
                }
            done += (long)k * b;
            progress?.Report(new AblationProgress(phase, done, total));
        }
        void Skipped(int count)
        {
            if (count == 0) return;
            done += (long)count * m; // every mask's rows of an image left out
            progress?.Report(new AblationProgress(phase, done, total));
        }
        int[] Targets(int[] positions) => [.. positions.Select(p => trueClass[p])];

        var spec = model.Input;
        long inputBytes = (long)images.Length * spec.Channels * spec.Height * spec.Width * sizeof(float);
        if (masksCompleted is not null && m > perPass && inputBytes <= PreloadBytes)
        {
            // Mask set by mask set over every image (inputs kept in memory), so each set's results are whole early.
            using var keep = NewDisposeScope();
            var inputs = new List<(Tensor Input, int[] Positions)>();
            for (int first = 0; first < images.Length; first += imagesPerPass)
            {
                ct.ThrowIfCancellationRequested();
                int b = Math.Min(imagesPerPass, images.Length - first);
                var (loaded, positions) = Load(data, images, first, b, skips);
                Skipped(b - positions.Length);
                if (positions.Length > 0)
                    inputs.Add((ImageTensor.ToBatch(loaded, spec), positions));
            }
            for (int k0 = 0; k0 < m; k0 += perPass)
            {
                int k = Math.Min(perPass, m - k0);
                var pattern = Pattern(masks, k0, k, units);
                foreach (var (input, positions) in inputs)
                {
                    ct.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    Store(Forward(model, input, Targets(positions), layer, pattern, k, mode), k0, k, positions);
                }
                masksCompleted(k0, k);
            }
            return new Outcome(predicted, logProbability, mode);
        }

        // Image group by image group, every mask set on each (images decoded once, 32 at a time in parallel).
        int loadChunk = Math.Max(imagesPerPass, 32);
        for (int start = 0; start < images.Length; start += loadChunk)
        {
            ct.ThrowIfCancellationRequested();
            int loadCount = Math.Min(loadChunk, images.Length - start);
            var (loaded, positions) = Load(data, images, start, loadCount, skips);
            Skipped(loadCount - positions.Length);

            for (int b0 = 0; b0 < positions.Length; b0 += imagesPerPass)
            {
                int b = Math.Min(imagesPerPass, positions.Length - b0);
                using var scope = NewDisposeScope();
                var input = ImageTensor.ToBatch(loaded[b0..(b0 + b)], spec);
                int[] batch = positions[b0..(b0 + b)];
                int[] targets = Targets(batch);
                for (int k0 = 0; k0 < m; k0 += perPass)
                {
                    ct.ThrowIfCancellationRequested();
                    int k = Math.Min(perPass, m - k0);
                    Store(Forward(model, input, targets, layer, Pattern(masks, k0, k, units), k, mode), k0, k, batch);
                }
            }
        }
        if (masksCompleted is not null)
            masksCompleted(0, m);
        return new Outcome(predicted, logProbability, mode);
    }

    /// <summary>
    /// Images <paramref name="first"/> … + <paramref name="count"/> of <paramref name="images"/>, decoded in parallel: those
    /// that could be read, and their positions in <paramref name="images"/>.
    /// </summary>
    static (RgbImage[] Images, int[] Positions) Load(IEvaluationSet data, int[] images, int first, int count, ImageSkips skips)
    {
        var loaded = new RgbImage?[count];
        Parallel.For(0, count, ParallelWork.Options(), i => loaded[i] = skips.TryLoad(data, images[first + i]));
        int[] read = [.. Enumerable.Range(0, count).Where(i => loaded[i] is not null)];
        return ([.. read.Select(i => loaded[i]!)], [.. read.Select(i => first + i)]);
    }

    /// <summary>
    /// Which way the network takes masked samples, tried on the first two images and masks against the
    /// input replicated per mask (the reference): expand the layer's output for several images, else for one
    /// image at a time, else replicate; one sample a pass when not even the reference goes through.
    /// </summary>
    static Mode FindMode(ModelSession model, IEvaluationSet data, int[] images, string layer,
        IReadOnlyList<int[]> masks, int units, int imagesPerPass, ImageSkips skips)
    {
        int k = Math.Min(2, masks.Count);
        var first = new List<RgbImage>();
        for (int i = 0; i < images.Length && first.Count < Math.Min(2, imagesPerPass); i++)
            if (skips.TryLoad(data, images[i]) is { } image)
                first.Add(image);
        if (first.Count == 0)
            return Mode.Replicate; // no image to try: the run has nothing to evaluate either
        int b = first.Count;
        using var scope = NewDisposeScope();
        var input = ImageTensor.ToBatch(first, model.Input);
        var pattern = Pattern(masks, 0, k, units);
        if (TryRows(model, input, layer, pattern, k, Mode.Replicate) is not { } reference)
            return Mode.OneSample;
        if (k == 1)
            return Mode.Replicate; // one mask: nothing is repeated either way
        if (Agrees(TryRows(model, input, layer, pattern, k, Mode.Expand), reference))
            return Mode.Expand;
        // Rows k·b + 0 of the reference: the first image under each mask.
        var firstImage = reference.reshape(k, b, -1)[.., 0];
        if (b > 1 && Agrees(TryRows(model, input[..1], layer, pattern, k, Mode.Expand), firstImage))
            return Mode.ExpandOneImage;
        return Mode.Replicate;
    }

    /// <summary>The log-probabilities of one trial pass, or null when the model cannot take it (any error but cancellation or memory).</summary>
    static Tensor? TryRows(ModelSession model, Tensor input, string layer, float[,] pattern, int k, Mode mode)
    {
        try
        {
            return Rows(model, input, layer, pattern, k, mode);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            return null;
        }
    }

    static bool Agrees(Tensor? rows, Tensor reference) =>
        rows is not null && rows.shape.SequenceEqual(reference.shape)
        && !rows.isnan().any().item<bool>()
        && rows.sub(reference).abs().max().item<float>() <= Agreement;

    /// <summary>One forward pass of <paramref name="input"/> (b images) under k masks: the predicted class and the log-probability of the target, rows k·b + i.</summary>
    static (int[] Predicted, float[] LogProbability) Forward(ModelSession model, Tensor input, int[] targets, string layer,
        float[,] pattern, int k, Mode mode)
    {
        var log = Rows(model, input, layer, pattern, k, mode);
        var expectedTargets = tensor(Enumerable.Range(0, k).SelectMany(_ => targets.Select(t => (long)t)).ToArray());
        var predicted = log.argmax(1).data<long>().ToArray();
        var truth = log.gather(1, expectedTargets.unsqueeze(1)).reshape(-1).data<float>().ToArray();
        return (predicted.Select(p => (int)p).ToArray(), truth);
    }

    /// <summary>One forward pass of <paramref name="input"/> (b images) under k masks: the log-probabilities, [k·b, classes] on the CPU, rows k·b + i.</summary>
    static Tensor Rows(ModelSession model, Tensor input, string layer, float[,] pattern, int k, Mode mode)
    {
        int b = (int)input.shape[0];
        long rows = (long)k * b;
        var batch = mode == Mode.Replicate && k > 1 ? input.repeat(k, 1, 1, 1) : input;
        var maskRows = tensor(pattern).repeat_interleave(b, 0); // [k·b, units], mask-major

        Tensor Edit(Tensor output)
        {
            var x = output;
            if (x.shape[0] == b && rows != b)
                x = x.unsqueeze(0).expand([k, .. x.shape]).reshape([rows, .. x.shape[1..]]);
            else if (x.shape[0] != rows)
                throw new InvalidOperationException($"Layer '{layer}' saw a batch of {x.shape[0]}, expected {b} or {rows}.");
            long[] shape = [rows, x.shape[1], .. Enumerable.Repeat(1L, (int)x.dim() - 2)];
            return x.mul(maskRows.to(x.device).to(x.dtype).reshape(shape));
        }

        return model.ForwardBatch(batch, [], pass =>
        {
            var output = pass.Output;
            if (output.shape[0] != rows)
                throw new InvalidOperationException($"The model gave {output.shape[0]} outputs for {rows} masked samples.");
            var logits = output.reshape(rows, -1).to(ScalarType.Float32);
            return nn.functional.log_softmax(logits, 1).cpu().MoveToOuterDisposeScope();
        }, new OutputEdit(layer, Edit));
    }

    /// <summary>[k, units]: 1 where a unit is kept, 0 where mask k0 + row zeroes it.</summary>
    static float[,] Pattern(IReadOnlyList<int[]> masks, int k0, int k, int units)
    {
        var pattern = new float[k, units];
        for (int r = 0; r < k; r++)
        {
            for (int u = 0; u < units; u++) pattern[r, u] = 1f;
            foreach (int u in masks[k0 + r]) pattern[r, u] = 0f;
        }
        return pattern;
    }
}
