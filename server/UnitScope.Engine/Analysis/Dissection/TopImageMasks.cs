using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// The masks of units on their top images, by the dissector's own definition (the unit's map resampled
/// with <see cref="MaskUpsampling"/> to the image's mask size, then a_u &gt; t_u): the ones a freshly
/// computed result carries (<see cref="UnitDissection.TopMasks"/>, from pass 2), else computed by
/// running the model on the top images again (a stored result keeps only their indices). Units go a
/// chunk at a time, so memory is bounded by the chunk, not by the layer.
/// </summary>
public static class TopImageMasks
{
    /// <summary>Units whose top images are gathered and run together.</summary>
    public const int UnitsPerChunk = 32;

    /// <summary>Each selected unit (all by default) with its masks in top-image order, in unit order, computed lazily.</summary>
    /// <param name="session">The model, for units whose masks the result does not carry; null: such a unit is an error.</param>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument for a layer without maps; UnitOutOfRange for a dissection of another model.</exception>
    public static IEnumerable<(UnitDissection Unit, IReadOnlyList<UnitMask> Masks)> ForLayer(ModelSession? session,
        ISegmentationDataset dataset, LayerDissection layer, IEnumerable<int>? units = null, int batchSize = 16, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(layer);
        var wanted = units is null ? null : new HashSet<int>(units);
        var selected = layer.Units.Where(u => wanted is null || wanted.Contains(u.Unit)).OrderBy(u => u.Unit).ToList();
        if (selected.All(u => u.TopMasks is not null))
            return selected.Select(u => (u, u.TopMasks!));
        if (session is null)
            throw new InvalidOperationException($"The dissection of '{layer.Layer}' carries no masks (it was read from the store): the model is needed to compute them.");
        var info = session.GetLayer(layer.Layer);
        if (info.OutputShape.Count != 3)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{layer.Layer}' ({info.Kind}) has no spatial output ({string.Join("×", info.OutputShape)}), so its units have no masks.");
        foreach (var unit in selected.Where(u => u.Unit < 0 || u.Unit >= info.Units))
            throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                $"The dissection names unit {unit.Unit} of '{layer.Layer}', which has {info.Units} units: was it made with another checkpoint?");
        return Chunks(session, dataset, layer.Layer, selected, Math.Max(1, batchSize), ct);
    }

    static IEnumerable<(UnitDissection, IReadOnlyList<UnitMask>)> Chunks(ModelSession session, ISegmentationDataset dataset,
        string layer, List<UnitDissection> units, int batchSize, CancellationToken ct)
    {
        foreach (var chunk in units.Chunk(UnitsPerChunk))
        {
            var masks = MasksFor(session, dataset, layer, [.. chunk.Where(u => u.TopMasks is null)], batchSize, ct);
            foreach (var unit in chunk)
                yield return (unit, unit.TopMasks ?? [.. unit.TopImages.Select(t => masks[(unit.Unit, t.ImageIndex)])]);
        }
    }

    static Dictionary<(int Unit, int Image), UnitMask> MasksFor(ModelSession session, ISegmentationDataset dataset,
        string layer, UnitDissection[] units, int batchSize, CancellationToken ct)
    {
        var unitsByImage = units.SelectMany(u => u.TopImages.Select(t => (t.ImageIndex, Unit: u)))
            .GroupBy(p => p.ImageIndex)
            .OrderBy(g => g.Key)
            .ToList();
        var masks = new Dictionary<(int, int), UnitMask>();
        foreach (var batch in unitsByImage.Chunk(batchSize))
        {
            ct.ThrowIfCancellationRequested();
            var samples = batch.Select(g => dataset.Load(g.Key)).ToList();
            var (maps, units0, height, width) = session.ForwardBatch(samples.Select(s => s.Image).ToList(), [layer], pass =>
            {
                var activations = pass.Activations[layer].to(TorchSharp.torch.float32).cpu().contiguous();
                return (activations.data<float>().ToArray(), (int)activations.shape[1], (int)activations.shape[2], (int)activations.shape[3]);
            });
            int plane = height * width;
            for (int i = 0; i < batch.Length; i++)
            {
                var sample = samples[i];
                int pixels = sample.MaskHeight * sample.MaskWidth;
                var upsampled = new float[pixels];
                var scratch = new float[height * sample.MaskWidth];
                foreach (var (imageIndex, unit) in batch[i])
                {
                    var map = maps.AsSpan((i * units0 + unit.Unit) * plane, plane);
                    MaskUpsampling.Resample(map, height, width, sample.MaskHeight, sample.MaskWidth, scratch, upsampled);
                    var bits = new ulong[(pixels + 63) / 64];
                    for (int p = 0; p < pixels; p++)
                        if (upsampled[p] > unit.Threshold) bits[p >> 6] |= 1UL << (p & 63);
                    masks[(unit.Unit, imageIndex)] = new UnitMask(imageIndex, sample.MaskHeight, sample.MaskWidth, bits);
                }
            }
        }
        return masks;
    }
}
