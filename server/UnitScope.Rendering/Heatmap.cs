using UnitScope.Engine.Analysis;
using UnitScope.Rendering.Colormaps;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering;

/// <summary>A unit map on its own, coloured.</summary>
public static class Heatmap
{
    /// <summary>
    /// The map normalised min..max (see <see cref="MapNormalization.ToUnitRange"/>) and coloured,
    /// at <paramref name="width"/> × <paramref name="height"/> (bilinear, as in
    /// <see cref="MapUpsampling.Bilinear"/>) or, when they are null, at the map's own resolution.
    /// </summary>
    public static RgbImage Render(UnitMap map, int? width = null, int? height = null, Colormap? colormap = null,
        float? rangeMin = null, float? rangeMax = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        int w = width ?? map.Width, h = height ?? map.Height;
        var values = h == map.Height && w == map.Width
            ? map.Values
            : MapUpsampling.Bilinear(map.Values, map.Height, map.Width, h, w);
        var levels = MapNormalization.ToUnitRange(values, rangeMin, rangeMax);
        var cmap = colormap ?? Colormap.Viridis;
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < levels.Length; i++)
        {
            var (r, g, b) = cmap.Map(levels[i]);
            rgb[3 * i] = r;
            rgb[3 * i + 1] = g;
            rgb[3 * i + 2] = b;
        }
        return new RgbImage(w, h, 3, rgb);
    }

    /// <summary><see cref="Render"/>, PNG-encoded.</summary>
    public static byte[] RenderPng(UnitMap map, int? width = null, int? height = null, Colormap? colormap = null,
        float? rangeMin = null, float? rangeMax = null) =>
        Png.Encode(Render(map, width, height, colormap, rangeMin, rangeMax));
}
