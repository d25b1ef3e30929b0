using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering.Charts;

namespace UnitScope.Rendering.Report;

/// <summary>
/// The tiles of unit cards: each unit's top images, resized to the tile, with the unit's mask on
/// them (<see cref="TopImageMasks"/>, the dissector's definition) sampled at tile resolution.
/// </summary>
public static class TopImageTiles
{
    /// <summary>Every unit of <paramref name="layer"/> (or only <paramref name="units"/>) with its tiles, in unit order, computed lazily.</summary>
    /// <exception cref="UnitScopeException">See <see cref="TopImageMasks.ForLayer"/>; the dataset's errors for an image that cannot be read.</exception>
    public static IEnumerable<(UnitDissection Unit, IReadOnlyList<UnitCardTile> Tiles)> ForLayer(
        ModelSession session, ISegmentationDataset dataset, LayerDissection layer,
        int tileSize = UnitCard.DefaultTileSize, int batchSize = 16, IEnumerable<int>? units = null, CancellationToken ct = default) =>
        TopImageMasks.ForLayer(session, dataset, layer, units, batchSize, ct)
            .Select(u => (u.Unit, (IReadOnlyList<UnitCardTile>)[.. u.Masks.Select(m => Tile(m, tileSize))]));

    static UnitCardTile Tile(TopImageMask m, int tileSize) => new(
        ImageResize.Resize(m.Sample.Image, tileSize, tileSize),
        NearestToTile(m.Mask, m.Sample.MaskHeight, m.Sample.MaskWidth, tileSize),
        tileSize, tileSize, m.Top.ImageIndex, m.Top.MaxActivation);

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
