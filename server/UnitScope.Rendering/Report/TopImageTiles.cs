using System.Collections.Concurrent;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering.Charts;

namespace UnitScope.Rendering.Report;

/// <summary>Where a unit's masks on its top images come from (the result, or the Engine running the model: see <c>TopImageMasks</c>).</summary>
public delegate IEnumerable<(UnitDissection Unit, IReadOnlyList<UnitMask> Masks)> UnitMaskSource(
    LayerDissection layer, IReadOnlyList<int> units, CancellationToken ct);

/// <summary>
/// The tiles of unit cards: each unit's top images, resized to the tile, with the unit's mask on them
/// sampled at tile resolution. Draws data: the masks come with the units, the images from the dataset.
/// </summary>
public sealed class TopImageTiles(ISegmentationDataset dataset, int tileSize = UnitCard.DefaultTileSize)
{
    /// <summary>Resized images kept for reuse (top images are shared by many units); beyond this many, none is kept.</summary>
    const int CachedImages = 4096;

    readonly ConcurrentDictionary<int, RgbImage> _images = new();

    /// <summary>The masks a freshly computed result carries (<see cref="UnitDissection.TopMasks"/>).</summary>
    public static UnitMaskSource FromResult { get; } = (layer, units, _) =>
    {
        var wanted = units.ToHashSet();
        return layer.Units.Where(u => wanted.Contains(u.Unit)).Select(u => (u, u.TopMasks ?? throw new InvalidOperationException(
            $"Unit {u.Unit} of '{layer.Layer}' carries no masks (a stored result): give the report a mask source that runs the model.")));
    };

    /// <summary>One unit's tiles, in top-image order.</summary>
    /// <exception cref="UnitScopeException">The dataset's errors for an image that cannot be read.</exception>
    public IReadOnlyList<UnitCardTile> For(UnitDissection unit, IReadOnlyList<UnitMask> masks) =>
        [.. masks.Select(m => new UnitCardTile(Image(m.ImageIndex), NearestToTile(m), tileSize, tileSize, m.ImageIndex,
            unit.TopImages.FirstOrDefault(t => t.ImageIndex == m.ImageIndex)?.MaxActivation ?? float.NaN))];

    RgbImage Image(int index)
    {
        if (_images.TryGetValue(index, out var image)) return image;
        image = ImageResize.Resize(dataset.Load(index).Image, tileSize, tileSize);
        if (_images.Count < CachedImages) _images.TryAdd(index, image);
        return image;
    }

    /// <summary>The mask sampled at tile resolution (nearest neighbour, pixel centres), as <see cref="UnitCard"/> would.</summary>
    bool[] NearestToTile(UnitMask mask)
    {
        var tile = new bool[tileSize * tileSize];
        for (int y = 0; y < tileSize; y++)
        {
            int my = Math.Min(mask.Height - 1, (int)((y + 0.5) * mask.Height / tileSize));
            for (int x = 0; x < tileSize; x++)
                tile[y * tileSize + x] = mask[my * mask.Width + Math.Min(mask.Width - 1, (int)((x + 0.5) * mask.Width / tileSize))];
        }
        return tile;
    }
}
