using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace UnitScope.Engine.Layers.ReceptiveFields;

/// <summary>
/// Receptive fields measured where the model is not a chain of modules (residual blocks, ONNX graphs): the input
/// pixels where the gradient of a centre unit is non-zero, with every window op's and activation's gradient replaced
/// by its geometry (<see cref="SpatialOp.WithGeometricGradient"/>, installed by <c>installSurrogates</c>), so neither
/// the weights, nor max-pool switches, nor ReLUs that happen to be off can hide part of the field; sums, concatenations
/// and every op not replaced pass their real gradient, which for data movement is its geometry. Two neighbouring
/// units give the stride. A field that reaches the border of the input is measured again on an input twice as large,
/// up to <see cref="MaxSide"/>; one that still covers it all sees the whole input (global pooling).
/// </summary>
public static class GradientFields
{
    /// <summary>The largest input side tried, in pixels.</summary>
    public const int MaxSide = 1024;

    /// <param name="layers">Layers to measure, with their [C, H, W] output shape at the model's input size.</param>
    /// <param name="inputShape">[C, H, W].</param>
    /// <param name="installSurrogates">Makes the model's window ops and activations carry geometric gradients until disposed.</param>
    /// <remarks>The caller holds the model's forward lock; parameters stop requiring gradients during the passes and are restored.</remarks>
    public static IReadOnlyDictionary<string, LayerReceptiveField> Measure(nn.Module<Tensor, Tensor> model,
        IReadOnlyList<string> layers, IReadOnlyList<int> inputShape, Device device, Func<IDisposable> installSurrogates)
    {
        var results = new Dictionary<string, LayerReceptiveField>(StringComparer.Ordinal);
        var pending = layers.ToList();
        var wholeSoFar = new HashSet<string>(StringComparer.Ordinal);
        int channels = inputShape[0], height = inputShape[1], width = inputShape[2];
        for (int scale = 1; pending.Count > 0; scale *= 2)
        {
            int h = height * scale, w = width * scale;
            if (scale > 1 && Math.Max(h, w) > Math.Max(MaxSide, Math.Max(height, width))) break;
            var measured = MeasureAt(model, pending, [channels, h, w], device, installSurrogates);
            var retry = new List<string>();
            foreach (string layer in pending)
            {
                if (!measured.TryGetValue(layer, out var outcome))
                {
                    retry.Add(layer); // the model did not reach it at this size
                    continue;
                }
                if (outcome.Field is { } field)
                    results[layer] = new LayerReceptiveField(layer, field, ReceptiveFieldMethod.Gradient, GradientNote);
                else if (outcome.Empty)
                    results[layer] = new LayerReceptiveField(layer, null, ReceptiveFieldMethod.Unknown,
                        "No gradient of its units reached the input (an op with a zero gradient on the way).");
                else
                {
                    if (outcome.Whole) wholeSoFar.Add(layer); else wholeSoFar.Remove(layer);
                    retry.Add(layer);
                }
            }
            pending = retry;
        }
        foreach (string layer in pending)
            results[layer] = wholeSoFar.Contains(layer)
                ? new LayerReceptiveField(layer, null, ReceptiveFieldMethod.WholeInput,
                    "Each unit sees the whole input at every size tried (global pooling or a fully connected step).")
                : new LayerReceptiveField(layer, null, ReceptiveFieldMethod.Unknown,
                    $"Its field reaches the border of every input tried (up to {MaxSide} px), or the model does not run on larger inputs.");
        return results;
    }

    const string GradientNote =
        "Measured: where the gradient of a centre unit reaches the input, each convolution and pooling taken as an all-ones window " +
        "(not a chain of modules: a residual sum, a functional op or a graph).";

    /// <summary>A layer's outcome at one input size: its field, or why not (reaches the border; <see cref="Whole"/>: all of it).</summary>
    sealed record Outcome(ReceptiveField? Field, bool Whole, bool Empty);

    static Dictionary<string, Outcome> MeasureAt(nn.Module<Tensor, Tensor> model, IReadOnlyList<string> layers,
        int[] inputShape, Device device, Func<IDisposable> installSurrogates)
    {
        var outcomes = new Dictionary<string, Outcome>(StringComparer.Ordinal);
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        using var scope = torch.NewDisposeScope();
        using var grad = torch.enable_grad();
        try
        {
            foreach (var p in parameters) p.requires_grad = false;
            using var surrogates = installSurrogates();
            using var capture = new ActivationCapture(model, layers);
            var input = torch.zeros([1, .. inputShape.Select(d => (long)d)], device: device, requires_grad: true);
            try
            {
                model.call(input);
            }
            catch (Exception e) when (e is ExternalException or UnitScopeException or ArgumentException or InvalidOperationException)
            {
                // A layer after the spatial part that takes one size only (a flatten into Linear): what ran is captured.
            }
            foreach (string layer in layers)
            {
                if (!capture.TryGet(layer, out var output) || output.dim() != 4) continue;
                outcomes[layer] = Measure(output, input, inputShape[1], inputShape[2]);
            }
        }
        finally
        {
            foreach (var p in parameters) p.requires_grad = true;
        }
        return outcomes;
    }

    /// <summary>
    /// Supports of three units on the diagonal around the centre; each axis's field from the edges that stay inside the
    /// input (a field larger than the input's margin can still be read from one unit's first pixel and another's last).
    /// </summary>
    static Outcome Measure(Tensor output, Tensor input, int height, int width)
    {
        int rows = (int)output.shape[2], columns = (int)output.shape[3];
        int cy = (rows - 1) / 2, cx = (columns - 1) / 2;
        var rowSpans = new List<(int Index, int First, int Last)>();
        var columnSpans = new List<(int Index, int First, int Last)>();
        bool whole = false;
        foreach (int step in (int[])[0, -1, 1])
        {
            int y = Math.Clamp(cy + step, 0, rows - 1), x = Math.Clamp(cx + step, 0, columns - 1);
            if (step != 0 && y == cy && x == cx) continue;
            if (Support(output, input, y, x) is not { } support) return new Outcome(null, false, true);
            if (step == 0)
                whole = support.Rows.First == 0 && support.Rows.Last == height - 1 && support.Columns.First == 0 && support.Columns.Last == width - 1;
            if (!rowSpans.Any(r => r.Index == y)) rowSpans.Add((y, support.Rows.First, support.Rows.Last));
            if (!columnSpans.Any(c => c.Index == x)) columnSpans.Add((x, support.Columns.First, support.Columns.Last));
        }
        return Axis(rowSpans, height) is { } r && Axis(columnSpans, width) is { } c
            ? new Outcome(new ReceptiveField(r, c), false, false)
            : new Outcome(null, whole, false);
    }

    /// <summary>
    /// Size, jump and start along one axis from units' spans, using only edges away from the input's border (an edge on
    /// the border may be cut off there): the jump from two first (or two last) edges, the start from a first edge, the
    /// size from a last edge. Null when the spans do not tell all three.
    /// </summary>
    static FieldAxis? Axis(List<(int Index, int First, int Last)> spans, int size)
    {
        var firsts = spans.Where(s => s.First > 0).OrderBy(s => s.Index).ToList();
        var lasts = spans.Where(s => s.Last < size - 1).OrderBy(s => s.Index).ToList();
        int? jump = firsts.Count >= 2 ? (firsts[^1].First - firsts[0].First) / (firsts[^1].Index - firsts[0].Index)
            : lasts.Count >= 2 ? (lasts[^1].Last - lasts[0].Last) / (lasts[^1].Index - lasts[0].Index)
            : null;
        if (jump is not { } j || j <= 0 || firsts.Count == 0 || lasts.Count == 0) return null;
        int start = firsts[0].First - firsts[0].Index * j;
        int fieldSize = lasts[0].Last - (start + lasts[0].Index * j) + 1;
        return new FieldAxis(fieldSize, j, start);
    }

    /// <summary>The rows and columns of the input where the gradient of the layer's units at (y, x), all channels summed, is non-zero.</summary>
    static ((int First, int Last) Rows, (int First, int Last) Columns)? Support(Tensor output, Tensor input, int y, int x)
    {
        using var scope = torch.NewDisposeScope();
        var unit = output[0, .., y, x].sum();
        var gradient = torch.autograd.grad([unit], [input], retain_graph: true, allow_unused: true)[0];
        if (gradient is null || gradient.IsInvalid) return null;
        var map = gradient.abs().sum([0L, 1L]); // [H, W]
        var rows = Span(map.sum([1L]).cpu().data<float>().ToArray());
        var columns = Span(map.sum([0L]).cpu().data<float>().ToArray());
        return rows is { } r && columns is { } c ? (r, c) : null;
    }

    static (int First, int Last)? Span(float[] values)
    {
        int first = Array.FindIndex(values, v => v != 0), last = Array.FindLastIndex(values, v => v != 0);
        return first < 0 ? null : (first, last);
    }
}
