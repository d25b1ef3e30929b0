using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>
/// Two checkpoints of one architecture (two epochs of a run, or two runs) compared layer by layer on the same images:
/// how far each layer's representation moved (linear CKA) and which unit of one became which unit of the other (units
/// matched by activation correlation with a Hungarian assignment: after retraining or fine-tuning, units are not
/// aligned by index).
/// </summary>
/// <remarks>
/// A sample is one position of one image: a layer's map [N, C, H, W] gives N·H·W rows of C features (a vector layer,
/// N rows). Per-position rather than spatially pooled activations because (1) pooling throws away where a unit
/// fires, so two units with the same mean but different places would look the same; (2) a few dozen images give
/// thousands of rows, while pooled CKA with fewer images than units is biased towards 1; (3) the same C × C moments
/// give both CKA and every pair's correlation, streamed batch by batch (<see cref="CrossCovariance"/>). CKA and the
/// correlations are invariant to permuting units, so a checkpoint whose units were permuted consistently (same
/// function) gives CKA 1 and a matching that recovers the permutation.
/// </remarks>
public static class CheckpointComparison
{
    /// <summary>Preference for a unit's own index, added to its correlation only to break exact ties (units that
    /// cannot be told apart, such as constant ones, keep their index); far below any difference that matters.</summary>
    const double SameIndexTieBreak = 1e-9;

    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument for a layer the two models shape differently, a
    /// batch size below 1, an empty image set; the set's errors.</exception>
    /// <exception cref="OperationCanceledException">Between batches.</exception>
    public static ComparisonResult Run(ModelSession a, ModelSession b, IImageSet images, ComparisonOptions? options = null,
        IProgress<ComparisonProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(images);
        options = Resolve(a, b, options ?? new ComparisonOptions());
        if (images.Count == 0)
            throw Invalid($"The image set {images.Name} has no images.");
        var layers = options.Layers!;
        var infosA = layers.Select(a.GetLayer).ToList();
        var infosB = layers.Select(b.GetLayer).ToList();
        var moments = layers.Select((_, l) => new CrossCovariance(infosA[l].Units, infosB[l].Units, a.Device)).ToList();
        try
        {
            int total = images.Count;
            progress?.Report(new ComparisonProgress(0, total));
            for (int start = 0; start < total; start += options.BatchSize)
            {
                ct.ThrowIfCancellationRequested();
                int n = Math.Min(options.BatchSize, total - start);
                var loaded = new RgbImage[n];
                int first = start;
                Parallel.For(0, n, ParallelWork.Options(), i => loaded[i] = images.Load(first + i));
                using var scope = NewDisposeScope();
                // A's rows are kept (moved out of the pass's scope) until B's pass over the same images.
                var rowsA = a.ForwardBatch(loaded, layers, pass => layers.Select(l => Rows(pass.Activations[l]).MoveToOuterDisposeScope()).ToList());
                b.ForwardBatch(loaded, layers, pass =>
                {
                    for (int l = 0; l < layers.Count; l++)
                        moments[l].Add(rowsA[l], Rows(pass.Activations[layers[l]]).to(moments[l].Device));
                    return 0;
                });
                progress?.Report(new ComparisonProgress(start + n, total));
            }
            var compared = layers.Select((layer, l) => Compare(infosA[l], infosB[l], moments[l])).ToList();
            return new ComparisonResult(a.CheckpointHash, b.CheckpointHash, images.ContentHash, images.Name, total, compared);
        }
        finally
        {
            foreach (var m in moments) m.Dispose();
        }
    }

    /// <summary>The options with their layers filled in, checked against both models.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument for a layer the two models shape differently or
    /// a batch size below 1.</exception>
    public static ComparisonOptions Resolve(ModelSession a, ModelSession b, ComparisonOptions options)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize < 1)
            throw Invalid($"The batch size must be at least 1, not {options.BatchSize}.");
        var layers = options.Layers is { Count: > 0 } given ? given.Select(l => l.Trim()).Distinct(StringComparer.Ordinal).ToList() : DefaultLayers(a);
        if (layers.Count == 0)
            throw Invalid("The model has no layer with weights to compare: name the layers (--layer).");
        foreach (string layer in layers)
        {
            var la = a.GetLayer(layer);
            var lb = b.GetLayer(layer);
            if (!la.OutputShape.Skip(1).SequenceEqual(lb.OutputShape.Skip(1)))
                throw Invalid($"Layer '{layer}' has maps of [{string.Join(", ", la.OutputShape)}] in the first checkpoint and " +
                    $"[{string.Join(", ", lb.OutputShape)}] in the second: compare checkpoints of one architecture at one input size.");
        }
        return options with { Layers = layers };
    }

    /// <summary>Every leaf layer with weights of its own (convolutions and linear layers), in the model's order: where
    /// training changes something.</summary>
    public static IReadOnlyList<string> DefaultLayers(ModelSession model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return [.. model.Layers.Where(l => l.Kind.Contains("Conv", StringComparison.OrdinalIgnoreCase) || l.Kind.Contains("Linear", StringComparison.OrdinalIgnoreCase)
            || l.Kind.Equals("Gemm", StringComparison.OrdinalIgnoreCase)).Select(l => l.Name)];
    }

    /// <summary>A layer's output [N, C, …] as rows [N·positions, C] (a copy).</summary>
    static Tensor Rows(Tensor activations)
    {
        if (activations.dim() < 2)
            throw Invalid($"A layer's output of shape [{string.Join(", ", activations.shape)}] has no units to compare.");
        if (activations.dim() == 2) return activations.clone();
        long[] unitsLast = [0, .. Enumerable.Range(2, (int)activations.dim() - 2).Select(d => (long)d), 1];
        return activations.permute(unitsLast).reshape(-1, activations.shape[1]);
    }

    /// <summary>CKA, the correlations and the matching of one layer.</summary>
    internal static LayerComparison Compare(LayerInfo a, LayerInfo b, CrossCovariance moments)
    {
        double cka = moments.Cka();
        var r = moments.Correlations();
        var (unitsOfA, unitsOfB) = Match(r);
        var matches = new List<UnitMatch>();
        for (int k = 0; k < unitsOfA.Length; k++)
        {
            double value = r[unitsOfA[k], unitsOfB[k]];
            matches.Add(new UnitMatch(unitsOfA[k], unitsOfB[k], double.IsNaN(value) ? null : value));
        }
        matches.Sort((x, y) => x.UnitA.CompareTo(y.UnitA));
        var defined = matches.Where(m => m.Correlation is not null).Select(m => m.Correlation!.Value).ToList();
        return new LayerComparison(a.Name, a.Kind, moments.P, moments.Q, moments.Count, double.IsNaN(cka) ? null : cka,
            defined.Count == 0 ? null : defined.Average(), matches.Count(m => m.UnitA == m.UnitB), matches);
    }

    /// <summary>The matching of the smaller side's units into the larger's that maximises the summed correlation
    /// (an undefined correlation counts as 0): pairs as (units of A, units of B).</summary>
    public static (int[] UnitsA, int[] UnitsB) Match(double[,] correlations)
    {
        ArgumentNullException.ThrowIfNull(correlations);
        int p = correlations.GetLength(0), q = correlations.GetLength(1);
        bool transposed = p > q;
        int rows = Math.Min(p, q), columns = Math.Max(p, q);
        var cost = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
            {
                double r = transposed ? correlations[j, i] : correlations[i, j];
                cost[i, j] = -(double.IsNaN(r) ? 0 : r) - (i == j ? SameIndexTieBreak : 0);
            }
        var assigned = LinearAssignment.Minimize(cost);
        var rowUnits = Enumerable.Range(0, rows).ToArray();
        return transposed ? (assigned, rowUnits) : (rowUnits, assigned);
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);
}
