using UnitScope.Engine.Analysis;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering;

/// <summary>A unit's activation map laid over the image it was computed on.</summary>
public static class UnitMapRenderer
{
    /// <summary>
    /// Upsamples <paramref name="map"/> (layer resolution) bilinearly to the image's size
    /// (<see cref="MapUpsampling.Bilinear"/>, PyTorch's align_corners=False), normalises it min..max
    /// (<see cref="MapNormalization.ToUnitRange"/>: a constant map is all low end), colours it and
    /// alpha-blends it over the image: out = (1 − a)·image + a·colour, a = Opacity (× value when
    /// <see cref="OverlayOptions.OpacityFollowsValue"/>). Gray images are shown as gray. The result
    /// is RGB at the image's size.
    /// </summary>
    public static RgbImage RenderOverlay(RgbImage image, UnitMap map, OverlayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        var o = options ?? OverlayOptions.Default;
        if (!(o.Opacity >= 0 && o.Opacity <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), $"Opacity must be in [0, 1], not {o.Opacity}.");
        image.Validate();
        if (map.Values.Length != map.Height * map.Width || map.Height <= 0 || map.Width <= 0)
            throw new ArgumentException($"Unit map {map.Layer}#{map.Unit} is {map.Height}x{map.Width} but holds {map.Values.Length} values.", nameof(map));

        int w = image.Width, h = image.Height, n = w * h;
        var levels = MapNormalization.ToUnitRange(
            MapUpsampling.Bilinear(map.Values, map.Height, map.Width, h, w), o.RangeMin, o.RangeMax);
        var src = image.Pixels;
        bool gray = image.Channels == 1;
        var rgb = new byte[n * 3];
        for (int i = 0; i < n; i++)
        {
            var (cr, cg, cb) = o.Colormap.Map(levels[i]);
            float a = o.OpacityFollowsValue ? o.Opacity * levels[i] : o.Opacity;
            float keep = 1 - a;
            byte ir = gray ? src[i] : src[3 * i];
            byte ig = gray ? src[i] : src[3 * i + 1];
            byte ib = gray ? src[i] : src[3 * i + 2];
            rgb[3 * i] = Blend(ir, cr, keep, a);
            rgb[3 * i + 1] = Blend(ig, cg, keep, a);
            rgb[3 * i + 2] = Blend(ib, cb, keep, a);
        }
        return new RgbImage(w, h, 3, rgb);
    }

    /// <summary><see cref="RenderOverlay"/>, PNG-encoded.</summary>
    public static byte[] RenderOverlayPng(RgbImage image, UnitMap map, OverlayOptions? options = null) =>
        Png.Encode(RenderOverlay(image, map, options));

    static byte Blend(byte image, byte colour, float keep, float a) =>
        (byte)Math.Clamp(MathF.Round(keep * image + a * colour), 0f, 255f);
}
