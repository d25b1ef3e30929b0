using UnitScope.Engine.Analysis;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering.Colormaps;

namespace UnitScope.Rendering.Tests;

public class OverlayTests
{
    static UnitMap Map(int h, int w, float[] values) =>
        new("features.0", 3, h, w, values, values.Min(), values.Max(), values.Average());

    static RgbImage Gray(int w, int h, byte value) => new(w, h, 1, Enumerable.Repeat(value, w * h).ToArray());

    /// <summary>A 4x4 map whose maximum is at row <paramref name="row"/>, column <paramref name="col"/>.</summary>
    static UnitMap Peak(int row, int col)
    {
        var values = new float[16];
        for (int i = 0; i < 16; i++) values[i] = -1f + 0.01f * i;
        values[row * 4 + col] = 5f;
        return Map(4, 4, values);
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(0, 0)]
    [InlineData(3, 1)]
    public void The_hot_region_is_where_the_maps_maximum_is(int row, int col)
    {
        var image = ImageFile.Load(Fixtures.Image("rgb_12x10.png"));
        image = ImageResize.Resize(image, 64, 48);
        var overlay = UnitMapRenderer.RenderOverlay(image, Peak(row, col), new OverlayOptions { Opacity = 0.7f });

        // The pixel nearest the colormap's top colour must lie in the map cell of the maximum.
        var (tr, tg, tb) = Colormap.Viridis.Map(1f);
        int best = -1;
        double bestDistance = double.MaxValue;
        for (int i = 0; i < 64 * 48; i++)
        {
            double d = Math.Pow(overlay.Pixels[3 * i] - tr, 2) + Math.Pow(overlay.Pixels[3 * i + 1] - tg, 2) + Math.Pow(overlay.Pixels[3 * i + 2] - tb, 2);
            if (d < bestDistance) (bestDistance, best) = (d, i);
        }
        (best / 64 / 12).Should().Be(row);
        (best % 64 / 16).Should().Be(col);
    }

    [Fact]
    public void Overlay_png_decodes_back_at_the_images_size()
    {
        var image = ImageFile.Load(Fixtures.Image("gray_9x7.png"));
        var png = UnitMapRenderer.RenderOverlayPng(image, Peak(2, 2));
        png.AsSpan(0, 8).ToArray().Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A);
        var back = ImageFile.Decode(png, "overlay.png");
        (back.Width, back.Height, back.Channels).Should().Be((9, 7, 3));
        back.Pixels.Should().Equal(UnitMapRenderer.RenderOverlay(image, Peak(2, 2)).Pixels);
    }

    [Fact]
    public void Blend_is_the_stated_weighted_mean()
    {
        var image = new RgbImage(2, 1, 3, [200, 100, 0, 10, 20, 30]);
        var map = Map(1, 2, [0f, 1f]);
        var overlay = UnitMapRenderer.RenderOverlay(image, map, new OverlayOptions { Opacity = 0.25f, Colormap = Colormap.Gray });
        // left pixel: t = 0 → black; right: t = 1 → white.
        overlay.Pixels.Should().Equal(150, 75, 0, (byte)MathF.Round(0.75f * 10 + 63.75f), (byte)MathF.Round(0.75f * 20 + 63.75f), (byte)MathF.Round(0.75f * 30 + 63.75f));
    }

    [Fact]
    public void Gray_images_stay_gray_under_the_map()
    {
        var overlay = UnitMapRenderer.RenderOverlay(Gray(5, 4, 77), Peak(0, 0), new OverlayOptions { Opacity = 0f });
        overlay.Channels.Should().Be(3);
        overlay.Pixels.Should().OnlyContain(b => b == 77);
    }

    [Fact]
    public void Opacity_following_value_leaves_silent_regions_untouched()
    {
        var overlay = UnitMapRenderer.RenderOverlay(Gray(40, 40, 90), Map(2, 2, [0f, 0f, 0f, 1f]),
            new OverlayOptions { Opacity = 1f, OpacityFollowsValue = true });
        overlay[0, 0, 0].Should().Be(90);
        overlay[0, 0, 2].Should().Be(90);
        overlay[39, 39, 0].Should().Be(Colormap.Viridis.Map(1f).R);
    }

    [Fact]
    public void Constant_map_is_drawn_all_at_the_low_end()
    {
        var heat = Heatmap.Render(Map(3, 3, Enumerable.Repeat(4.2f, 9).ToArray()), 6, 6);
        var (r, g, b) = Colormap.Viridis.Map(0f);
        for (int i = 0; i < 36; i++)
            (heat.Pixels[3 * i], heat.Pixels[3 * i + 1], heat.Pixels[3 * i + 2]).Should().Be((r, g, b));
    }

    [Fact]
    public void Normalisation_is_min_max_ignoring_nan_or_a_given_range()
    {
        MapNormalization.ToUnitRange([2f, 4f, float.NaN, 6f]).Should().Equal(0f, 0.5f, 0f, 1f);
        MapNormalization.ToUnitRange([2f, 4f, 6f], min: 0f, max: 4f).Should().Equal(0.5f, 1f, 1f);
        MapNormalization.ToUnitRange([3f, 3f]).Should().Equal(0f, 0f);
        MapNormalization.ToUnitRange([float.NaN]).Should().Equal(0f);
    }

    [Fact]
    public void Heatmap_png_at_map_size_or_given_size()
    {
        var map = Peak(1, 1);
        var own = ImageFile.Decode(Heatmap.RenderPng(map), "heat.png");
        (own.Width, own.Height, own.Channels).Should().Be((4, 4, 3));
        (own[1, 1, 0], own[1, 1, 1], own[1, 1, 2]).Should().Be(Colormap.Viridis.Map(1f));
        var big = ImageFile.Decode(Heatmap.RenderPng(map, 32, 24, Colormap.Inferno), "heat.png");
        (big.Width, big.Height).Should().Be((32, 24));
    }

    [Fact]
    public void Bad_opacity_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            UnitMapRenderer.RenderOverlay(Gray(2, 2, 0), Peak(0, 0), new OverlayOptions { Opacity = 1.5f }));
}
