using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Ablation;

/// <summary>
/// Unit ablation (Bau et al., "Understanding the role of individual units in a deep network", PNAS 2020, §3
/// and figure 6): units are removed by forcing their output channels to zero in the forward pass (a forward
/// hook on the layer; no weight is edited and nothing is retrained), and the classifier is measured on an
/// evaluation set before and after.
/// </summary>
/// <remarks>
/// <para>An image counts as correct when the model's most probable class is the model class its label maps to
/// (<see cref="EvaluationSet.MapClasses"/>). Log-probabilities are the float32 log-softmax of the model's output
/// at that class. Many unit sets are evaluated per forward pass (see MaskedEvaluation): the layer's output
/// is computed once per image and repeated under each set's channel mask.</para>
/// <para>The model is left as it was: the hook lives only during each forward pass, inside the session's
/// forward lock, so concurrent runs on one model never see each other's units zeroed.</para>
/// </remarks>
public static class Ablator
{
    /// <summary>Accuracy per class before and after zeroing <see cref="AblationRequest.Units"/>, and after zeroing random sets of as many.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange, InvalidArgument (no units, bad counts, an empty
    /// set, classes that match none of the model's), BadImage/FileNotFound for an image of the set.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled (checked between forward passes).</exception>
    public static AblationResult Ablate(ModelSession model, IEvaluationSet data, AblationRequest request,
        IProgress<AblationProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        var info = CheckLayer(model, request.Layer);
        int[] chosen = CheckUnits(info.Name, info.Units, request.Units);
        if (chosen.Length == 0)
            throw Invalid("Name at least one unit to remove.");
        if (request.RandomControls is < 0 or > 1000)
            throw Invalid($"The number of random control sets must be 0 to 1000, not {request.RandomControls}.");
        CheckBatch(request.BatchSize);
        var (images, truth) = Evaluate(model, data, null);

        var rng = new Random(request.Seed);
        var others = Enumerable.Range(0, info.Units).Except(chosen).ToArray();
        var pool = others.Length >= chosen.Length ? others : [.. Enumerable.Range(0, info.Units)];
        var randomSets = Enumerable.Range(0, request.RandomControls).Select(_ => Draw(rng, pool, chosen.Length)).ToList();
        List<int[]> masks = [[], chosen, .. randomSets];

        var skips = new ImageSkips();
        var outcome = MaskedEvaluation.Run(model, data, images, truth, info.Name, masks, request.BatchSize, AnalysisPhase.Ablation, progress, ct,
            skips: skips);
        int[] all = Readable(data, images, skips);

        var classes = new List<ClassAccuracy>();
        for (int c = 0; c < data.ClassNames.Count; c++)
        {
            int[] rows = [.. all.Where(i => data.ClassOf(images[i]) == c)];
            if (rows.Length == 0) continue;
            double? randomAfter = randomSets.Count == 0 ? null : Enumerable.Range(2, randomSets.Count).Average(k => Accuracy(outcome, k, rows, truth));
            double? randomLog = randomSets.Count == 0 ? null : Enumerable.Range(2, randomSets.Count).Average(k => MeanLog(outcome, k, rows));
            classes.Add(new ClassAccuracy(c, data.ClassNames[c], rows.Length,
                Accuracy(outcome, 0, rows, truth), Accuracy(outcome, 1, rows, truth), randomAfter,
                MeanLog(outcome, 0, rows), MeanLog(outcome, 1, rows), randomLog));
        }
        return new AblationResult(model.CheckpointHash, data.ContentHash, data.Name, info.Name, info.Units, chosen,
            [.. randomSets.Select(s => (IReadOnlyList<int>)[.. s.Order()])], all.Length,
            Accuracy(outcome, 0, all, truth), Accuracy(outcome, 1, all, truth),
            randomSets.Count == 0 ? null : Enumerable.Range(2, randomSets.Count).Average(k => Accuracy(outcome, k, all, truth)),
            [.. classes.OrderBy(c => c.Change).ThenBy(c => c.ClassName, StringComparer.Ordinal)])
        {
            SkippedImages = skips.List,
        };
    }

    /// <summary>
    /// Ranks every unit of <see cref="RankingRequest.Layer"/> by how much removing it alone lowers the class's
    /// accuracy or mean log-probability on the set's images of that class, then measures removing the top-k
    /// units together against k random ones (k = 1 … <see cref="RankingRequest.Top"/>, random sets drawn from
    /// all the layer's units, <see cref="RankingRequest.RandomDraws"/> per k). Labels are not attached: see
    /// <see cref="UnitLabels.Attach(UnitRanking, DissectionStore)"/>.
    /// </summary>
    /// <exception cref="UnitScopeException">As <see cref="Ablate"/>; InvalidArgument for a class with no images.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled.</exception>
    public static UnitRanking Rank(ModelSession model, IEvaluationSet data, RankingRequest request,
        IProgress<AblationProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        var info = CheckLayer(model, request.Layer);
        int cls = EvaluationSet.ResolveClass(data, request.Class);
        if (request.Top < 1)
            throw Invalid($"The curve needs at least k = 1 (--top), not {request.Top}.");
        if (request.RandomDraws is < 1 or > 1000)
            throw Invalid($"The number of random draws per k must be 1 to 1000, not {request.RandomDraws}.");
        CheckBatch(request.BatchSize);
        var (images, truth) = Evaluate(model, data, cls);
        var skips = new ImageSkips();
        // The class's images that could be read: known for every image once the first masks are complete.
        int[] Rows() => [.. Enumerable.Range(0, images.Length).Where(i => !skips.IsSkipped(images[i]))];

        List<int[]> single = [[], .. Enumerable.Range(0, info.Units).Select(u => new[] { u })];
        var partial = new MaskedEvaluation.Outcome[1];
        void Measured(int first, int count)
        {
            // Mask 0 (the intact model) comes in the first group, so every later group can be told as drops.
            var outcome = partial[0];
            if (outcome is null || progress is null) return;
            int[] rows = Rows();
            if (rows.Length == 0) return;
            double accuracy = Accuracy(outcome, 0, rows, truth), log = MeanLog(outcome, 0, rows);
            var units = Enumerable.Range(Math.Max(first, 1), first + count - Math.Max(first, 1))
                .Select(j => new RankedUnit(j - 1, accuracy - Accuracy(outcome, j, rows, truth), log - MeanLog(outcome, j, rows))).ToList();
            progress.Report(new AblationProgress(AnalysisPhase.Units, (long)(first + count) * rows.Length, (long)single.Count * rows.Length) { MeasuredUnits = units });
        }
        var alone = MaskedEvaluation.Run(model, data, images, truth, info.Name, single, request.BatchSize, AnalysisPhase.Units, progress, ct,
            masksCompleted: Measured, results: partial, skips: skips);
        int[] rows = Readable(data, images, skips);
        double baseAccuracy = Accuracy(alone, 0, rows, truth), baseLog = MeanLog(alone, 0, rows);
        var ranked = Enumerable.Range(0, info.Units)
            .Select(u => new RankedUnit(u, baseAccuracy - Accuracy(alone, u + 1, rows, truth), baseLog - MeanLog(alone, u + 1, rows)))
            .ToList();
        ranked = request.Metric == RankingMetric.Accuracy
            ? [.. ranked.OrderByDescending(r => r.AccuracyDrop).ThenByDescending(r => r.LogProbabilityDrop).ThenBy(r => r.Unit)]
            : [.. ranked.OrderByDescending(r => r.LogProbabilityDrop).ThenByDescending(r => r.AccuracyDrop).ThenBy(r => r.Unit)];

        int top = Math.Min(request.Top, info.Units);
        var rng = new Random(request.Seed);
        var everyUnit = Enumerable.Range(0, info.Units).ToArray();
        var curveMasks = new List<int[]>();
        for (int k = 1; k <= top; k++)
        {
            curveMasks.Add([.. ranked.Take(k).Select(r => r.Unit)]);
            for (int d = 0; d < request.RandomDraws; d++)
                curveMasks.Add(Draw(rng, everyUnit, k));
        }
        var removed = MaskedEvaluation.Run(model, data, images, truth, info.Name, curveMasks, request.BatchSize, AnalysisPhase.Curve, progress, ct,
            skips: skips);
        var curve = new List<RemovalCurvePoint>();
        int stride = 1 + request.RandomDraws;
        for (int k = 1; k <= top; k++)
        {
            int first = (k - 1) * stride;
            var accuracies = Enumerable.Range(first + 1, request.RandomDraws).Select(j => Accuracy(removed, j, rows, truth)).ToArray();
            var logs = Enumerable.Range(first + 1, request.RandomDraws).Select(j => MeanLog(removed, j, rows)).ToArray();
            curve.Add(new RemovalCurvePoint(k, Accuracy(removed, first, rows, truth), accuracies.Average(), Std(accuracies),
                MeanLog(removed, first, rows), logs.Average(), Std(logs)));
        }
        return new UnitRanking(model.CheckpointHash, data.ContentHash, data.Name, info.Name, cls, data.ClassNames[cls], request.Metric,
            rows.Length, baseAccuracy, baseLog, ranked, curve, request.RandomDraws)
        {
            SkippedImages = skips.List,
        };
    }

    /// <summary>
    /// A unit as a classifier of one class: its activation (<see cref="SingleUnitRequest.Statistic"/> of its map) on every
    /// image of the set, split into the class's images and the others. Runs the model unchanged.
    /// </summary>
    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange, InvalidArgument (unknown class, a class with no images
    /// or no other images), the set's image errors.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled.</exception>
    public static SingleUnitStats SingleUnit(ModelSession model, IEvaluationSet data, SingleUnitRequest request,
        IProgress<AblationProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        var info = model.GetLayer(request.Layer);
        CheckUnits(info.Name, info.Units, [request.Unit]);
        int cls = EvaluationSet.ResolveClass(data, request.Class);
        CheckBatch(request.BatchSize);
        if (data.Count == 0)
            throw Invalid($"The evaluation set {data.Name} has no images.");

        var values = new float[data.Count];
        var skips = new ImageSkips();
        progress?.Report(new AblationProgress(AnalysisPhase.Activations, 0, data.Count));
        for (int start = 0; start < data.Count; start += request.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(request.BatchSize, data.Count - start);
            var loaded = new Imaging.RgbImage?[n];
            Parallel.For(0, n, ParallelWork.Options(), i => loaded[i] = skips.TryLoad(data, start + i));
            int[] read = [.. Enumerable.Range(start, n).Where(i => loaded[i - start] is not null)];
            if (read.Length > 0)
            {
                using var scope = NewDisposeScope();
                model.ForwardBatch([.. read.Select(i => loaded[i - start]!)], [info.Name], pass =>
                {
                    var map = pass.Activations[info.Name][.., request.Unit].reshape(read.Length, -1).to(ScalarType.Float32);
                    var stat = request.Statistic == UnitStatistic.Max ? map.amax(1) : map.mean([1]);
                    var got = stat.cpu().data<float>().ToArray();
                    for (int j = 0; j < read.Length; j++) values[read[j]] = got[j];
                    return 0;
                });
            }
            progress?.Report(new AblationProgress(AnalysisPhase.Activations, start + n, data.Count));
        }
        int[] all = Readable(data, [.. Enumerable.Range(0, data.Count)], skips);
        var inClass = all.Where(i => data.ClassOf(i) == cls).Select(i => values[i]).ToArray();
        var others = all.Where(i => data.ClassOf(i) != cls).Select(i => values[i]).ToArray();
        if (inClass.Length == 0)
            throw Invalid($"The evaluation set {data.Name} has no images of class '{data.ClassNames[cls]}'.");
        if (others.Length == 0)
            throw Invalid($"The evaluation set {data.Name} has only images of class '{data.ClassNames[cls]}': nothing to tell it from.");
        return new SingleUnitStats(model.CheckpointHash, data.ContentHash, data.Name, info.Name, request.Unit, cls, data.ClassNames[cls],
            request.Statistic, inClass, others, inClass.Average(v => (double)v), others.Average(v => (double)v), Auc(inClass, others))
        {
            SkippedImages = skips.List,
        };
    }

    /// <summary>Area under the ROC curve of <paramref name="positive"/> vs <paramref name="negative"/> scores (Mann–Whitney U; ties count half).</summary>
    public static double Auc(IReadOnlyList<float> positive, IReadOnlyList<float> negative)
    {
        var all = positive.Select(v => (Value: v, Positive: true)).Concat(negative.Select(v => (Value: v, Positive: false)))
            .OrderBy(p => p.Value).ToArray();
        double positiveRanks = 0;
        for (int i = 0; i < all.Length;)
        {
            int j = i;
            while (j < all.Length && all[j].Value == all[i].Value) j++;
            double rank = (i + 1 + j) / 2.0; // average of ranks i+1 … j
            for (int t = i; t < j; t++)
                if (all[t].Positive) positiveRanks += rank;
            i = j;
        }
        double n1 = positive.Count, n0 = negative.Count;
        return (positiveRanks - n1 * (n1 + 1) / 2) / (n1 * n0);
    }

    /// <summary>The layer must have units to remove: any layer does ([C, H, W] channels or [F] features).</summary>
    static Layers.LayerInfo CheckLayer(ModelSession model, string layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var info = model.GetLayer(layer);
        if (info.OutputShape.Count == 0)
            throw Invalid($"Layer '{layer}' ({info.Kind}) outputs a scalar: it has no units to remove.");
        return info;
    }

    static int[] CheckUnits(string layer, int units, IReadOnlyList<int> requested)
    {
        ArgumentNullException.ThrowIfNull(requested);
        foreach (int u in requested)
            if (u < 0 || u >= units)
                throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                    $"Unit {u} is out of range: layer '{layer}' has {units} units (0–{units - 1}).");
        return [.. requested.Distinct().Order()];
    }

    static void CheckBatch(int batchSize)
    {
        if (batchSize < 1)
            throw Invalid($"The batch size must be at least 1, not {batchSize}.");
    }

    /// <summary>The images to evaluate (all, or those of <paramref name="onlyClass"/>) and each one's model class.</summary>
    static (int[] Images, int[] Truth) Evaluate(ModelSession model, IEvaluationSet data, int? onlyClass)
    {
        if (data.Count == 0)
            throw Invalid($"The evaluation set {data.Name} has no images.");
        int[] map = EvaluationSet.MapClasses(data, model.ClassNames);
        int[] images = [.. Enumerable.Range(0, data.Count).Where(i => onlyClass is null || data.ClassOf(i) == onlyClass)];
        if (images.Length == 0)
            throw Invalid($"The evaluation set {data.Name} has no images of class '{data.ClassNames[onlyClass!.Value]}'.");
        return (images, [.. images.Select(i => map[data.ClassOf(i)])]);
    }

    /// <summary>
    /// The positions in <paramref name="images"/> of the images that could be read (a run leaves out the others:
    /// <see cref="ImageSkips"/>).
    /// </summary>
    /// <exception cref="UnitScopeException">BadImage when none could: nothing was evaluated.</exception>
    static int[] Readable(IEvaluationSet data, int[] images, ImageSkips skips)
    {
        int[] rows = [.. Enumerable.Range(0, images.Length).Where(i => !skips.IsSkipped(images[i]))];
        if (rows.Length == 0)
            throw new UnitScopeException(EngineErrorKind.BadImage,
                $"None of the {images.Length} images of {data.Name} to evaluate could be read; the first: {skips.List[0].Problem}");
        return rows;
    }

    static double Accuracy(MaskedEvaluation.Outcome outcome, int mask, int[] rows, int[] truth) =>
        rows.Count(i => outcome.Predicted[mask][i] == truth[i]) / (double)rows.Length;

    static double MeanLog(MaskedEvaluation.Outcome outcome, int mask, int[] rows) =>
        rows.Average(i => (double)outcome.LogProbability[mask][i]);

    static double Std(double[] values)
    {
        if (values.Length < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    /// <summary><paramref name="count"/> distinct values of <paramref name="pool"/> (a partial Fisher–Yates shuffle), sorted.</summary>
    static int[] Draw(Random rng, int[] pool, int count)
    {
        var copy = (int[])pool.Clone();
        for (int i = 0; i < count; i++)
        {
            int j = rng.Next(i, copy.Length);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return [.. copy[..count].Order()];
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);
}
