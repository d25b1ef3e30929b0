using TorchSharp;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering.Charts;

namespace UnitScope.Rendering.Report;

/// <summary>
/// The tiles of unit cards: each unit's top images with the unit's mask, computed by running the
/// model on those images again. The mask is the dissector's: the unit's activation map upsampled
/// bilinearly (PyTorch's align_corners=False) to the dataset's mask resolution, then a_u &gt; t_u.
/// </summary>
/// <remarks>
/// This is the one part of Rendering that runs a model (through <see cref="ModelSession.ForwardBatch{T}(IReadOnlyList{RgbImage}, IReadOnlyCollection{string}, Func{Engine.Analysis.ForwardPass, T})"/>):
/// the stored dissection keeps only the top images' indices, not their activations. Units are
/// handled a chunk at a time, so memory stays bounded by the chunk (not by units × top images).
/// </remarks>
public static class TopImageTiles
{
    /// <summary>Units whose top images are gathered and run together.</summary>
    public const int UnitsPerChunk = 32;

    /// <summary>Every unit of <paramref name="layer"/> (or only <paramref name="units"/>) with its tiles, in unit order, computed lazily.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; the dataset's errors for an image that cannot be read.</exception>
    public static IEnumerable<(UnitDissection Unit, IReadOnlyList<UnitCardTile> Tiles)> ForLayer(
        ModelSession session, ISegmentationDataset dataset, LayerDissection layer,
        int tileSize = UnitCard.DefaultTileSize, int batchSize = 16, IEnumerable<int>? units = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(layer);
        var info = session.GetLayer(layer.Layer);
        if (info.OutputShape.Count != 3)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{layer.Layer}' ({info.Kind}) has no spatial output ({string.Join("×", info.OutputShape)}), so its units have no masks.");
        var wanted = units is null ? null : new HashSet<int>(units);
        var selected = layer.Units.Where(u => wanted is null || wanted.Contains(u.Unit)).OrderBy(u => u.Unit).ToList();
        return Chunks(session, dataset, layer.Layer, selected, tileSize, Math.Max(1, batchSize), ct);
    }

    static IEnumerable<(UnitDissection, IReadOnlyList<UnitCardTile>)> Chunks(ModelSession session, ISegmentationDataset dataset,
        string layer, List<UnitDissection> units, int tileSize, int batchSize, CancellationToken ct)
    {
        for (int start = 0; start < units.Count; start += UnitsPerChunk)
        {
            var chunk = units.Skip(start).Take(UnitsPerChunk).ToList();
            var tiles = TilesFor(session, dataset, layer, chunk, tileSize, batchSize, ct);
            foreach (var unit in chunk)
                yield return (unit, unit.TopImages.Select(t => tiles[(unit.Unit, t.ImageIndex)]).ToList());
        }
    }

    static Dictionary<(int Unit, int Image), UnitCardTile> TilesFor(ModelSession session, ISegmentationDataset dataset,
        string layer, List<UnitDissection> units, int tileSize, int batchSize, CancellationToken ct)
    {
        var unitsByImage = units.SelectMany(u => u.TopImages.Select(t => (Image: t.ImageIndex, Unit: u)))
            .GroupBy(p => p.Image)
            .OrderBy(g => g.Key)
            .ToList();
        var tiles = new Dictionary<(int, int), UnitCardTile>();
        foreach (var batch in unitsByImage.Chunk(batchSize))
        {
            ct.ThrowIfCancellationRequested();
            var samples = batch.Select(g => dataset.Load(g.Key)).ToList();
            // Masks as the dissector makes them: libtorch's bilinear interpolation to the sample's mask size, then > t_u.
            var masks = session.ForwardBatch(samples.Select(s => s.Image).ToList(), [layer], pass =>
            {
                var activations = pass.Activations[layer];
                int unitCount = (int)activations.shape[1];
                foreach (var (_, unit) in batch.SelectMany(g => g).Where(p => p.Unit.Unit < 0 || p.Unit.Unit >= unitCount))
                    throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                        $"The dissection names unit {unit.Unit} of '{layer}', which has {unitCount} units: was it made with another checkpoint?");
                // Every (image, unit) map of the batch as one row of [N·U, h, w]; one interpolation per mask size.
                var rows = activations.flatten(0, 1).to(torch.float32);
                var result = new Dictionary<(int, int), bool[]>();
                var bySize = Enumerable.Range(0, batch.Length).GroupBy(i => (samples[i].MaskHeight, samples[i].MaskWidth));
                foreach (var group in bySize)
                {
                    var pairs = group.SelectMany(i => batch[i].Select(p => (Image: i, p.Unit))).ToList();
                    var (maskHeight, maskWidth) = group.Key;
                    using var index = torch.tensor(pairs.Select(p => (long)p.Image * unitCount + p.Unit.Unit).ToArray(), device: activations.device);
                    using var thresholds = torch.tensor(pairs.Select(p => p.Unit.Threshold).ToArray(), device: activations.device);
                    var maps = rows.index_select(0, index); // [k, h, w]
                    var upsampled = maps.shape[1] == maskHeight && maps.shape[2] == maskWidth
                        ? maps
                        : torch.nn.functional.interpolate(maps.unsqueeze(1), [maskHeight, maskWidth],
                            mode: torch.InterpolationMode.Bilinear, align_corners: false).squeeze(1);
                    var on = upsampled.gt(thresholds.view(-1, 1, 1)).cpu().contiguous().data<bool>().ToArray();
                    int pixels = maskHeight * maskWidth;
                    for (int k = 0; k < pairs.Count; k++)
                        result[(pairs[k].Image, pairs[k].Unit.Unit)] = on.AsSpan(k * pixels, pixels).ToArray();
                }
                return result;
            });
            for (int i = 0; i < batch.Length; i++)
            {
                var sample = samples[i];
                var picture = ImageResize.Resize(sample.Image, tileSize, tileSize);
                foreach (var (imageIndex, unit) in batch[i])
                {
                    var top = unit.TopImages.First(t => t.ImageIndex == imageIndex);
                    tiles[(unit.Unit, imageIndex)] = new UnitCardTile(picture,
                        NearestToTile(masks[(i, unit.Unit)], sample.MaskHeight, sample.MaskWidth, tileSize),
                        tileSize, tileSize, imageIndex, top.MaxActivation);
                }
            }
        }
        return tiles;
    }

    /// <summary>
    /// The dissector's mask computed in C# (<see cref="MapUpsampling.Bilinear"/>, then &gt; threshold): equal to
    /// the tiles' masks except where a value lies within float rounding of the threshold.
    /// </summary>
    public static bool[] Mask(float[] map, int mapHeight, int mapWidth, int maskHeight, int maskWidth, float threshold)
    {
        var upsampled = maskHeight == mapHeight && maskWidth == mapWidth
            ? map
            : MapUpsampling.Bilinear(map, mapHeight, mapWidth, maskHeight, maskWidth);
        var mask = new bool[upsampled.Length];
        for (int i = 0; i < mask.Length; i++)
            mask[i] = upsampled[i] > threshold;
        return mask;
    }

    /// <summary>The mask sampled at tile resolution (nearest neighbour, pixel centres), as <see cref="UnitCard"/> would.</summary>
    static bool[] NearestToTile(bool[] mask, int height, int width, int size)
    {
        var tile = new bool[size * size];
        for (int y = 0; y < size; y++)
        {
            int my = Math.Min(height - 1, (int)((y + 0.5) * height / size));
            for (int x = 0; x < size; x++)
                tile[y * size + x] = mask[my * width + Math.Min(width - 1, (int)((x + 0.5) * width / size))];
        }
        return tile;
    }
}
