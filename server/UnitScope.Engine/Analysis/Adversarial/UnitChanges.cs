using UnitScope.Engine.Analysis.Ablation;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Adversarial;

/// <summary>
/// Which units of a layer an attack changes most (seed 000, Bau et al. 2020, §adversarial: the units an attack moves
/// against the units that matter for the classes involved): the clean and the attacked 8-bit images through the model,
/// each unit's map averaged per image, compared image by image.
/// </summary>
public static class UnitChanges
{
    /// <summary>Ranks <paramref name="layer"/>'s units by the mean absolute change of their per-image mean activation
    /// between the clean and the attacked images of <paramref name="attack"/>.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer.</exception>
    /// <exception cref="OperationCanceledException">Checked between batches.</exception>
    public static UnitChangeResult Measure(ModelSession model, string layer, AttackResult attack, int batchSize = 16,
        IProgress<AttackProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(attack);
        var info = model.GetLayer(layer);
        var images = attack.Images;
        int units = info.Units;
        double[] clean = new double[units], attacked = new double[units], absolute = new double[units];
        for (int first = 0; first < images.Count; first += Math.Max(1, batchSize))
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(Math.Max(1, batchSize), images.Count - first);
            var batch = images.Skip(first).Take(count).ToList();
            float[] before = UnitMeans(model, layer, batch.Select(i => i.Clean).ToList());
            float[] after = UnitMeans(model, layer, batch.Select(i => i.Attacked).ToList());
            for (int i = 0; i < count; i++)
                for (int u = 0; u < units; u++)
                {
                    double b = before[i * units + u], a = after[i * units + u];
                    clean[u] += b;
                    attacked[u] += a;
                    absolute[u] += Math.Abs(a - b);
                }
            progress?.Report(new AttackProgress(AnalysisPhase.UnitChanges, first + count, images.Count));
        }
        int n = images.Count;
        var ranked = Enumerable.Range(0, units)
            .Select(u => new UnitChange(u, clean[u] / n, attacked[u] / n, (attacked[u] - clean[u]) / n, absolute[u] / n))
            .OrderByDescending(c => c.MeanAbsoluteChange).ThenBy(c => c.Unit)
            .ToList();
        return new UnitChangeResult(info.Name, n, ranked);
    }

    /// <summary>The top <paramref name="k"/> changed units against the top <paramref name="k"/> of <paramref name="ranking"/>.</summary>
    public static UnitOverlap Overlap(UnitChangeResult changes, UnitRanking ranking, int k, string role, int modelClass)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(ranking);
        int units = changes.Units.Count;
        k = Math.Clamp(k, 1, units);
        int[] changed = [.. changes.Units.Take(k).Select(c => c.Unit)];
        int[] important = [.. ranking.Units.Take(k).Select(r => r.Unit)];
        int[] shared = [.. changed.Intersect(important).Order()];
        return new UnitOverlap(role, modelClass, ranking.ClassName, k, changed, important, shared, (double)k * k / units);
    }

    /// <summary>Per image, each unit's activation averaged over its map: [images × units], row-major.</summary>
    static float[] UnitMeans(ModelSession model, string layer, IReadOnlyList<Imaging.RgbImage> images)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = PixelAttack.Normalisation(model.Input, CPU);
        var input = AdversarialAttack.Pixels(images).sub(mean).div(std);
        return model.ForwardBatch(input, [layer], pass =>
        {
            var a = pass.Activations[layer];
            var perUnit = a.dim() > 2 ? a.flatten(2).mean([2]) : a.reshape(a.shape[0], -1);
            return perUnit.to(float32).cpu().contiguous().data<float>().ToArray();
        });
    }
}
