using SkiaSharp;
using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers.ReceptiveFields;
using UnitScope.Rendering.Charts;

namespace UnitScope.Rendering.Tests.AnalysisCharts;

/// <summary>The unit gallery's pieces from hand-made values: patches are the pixels under the box, projections are
/// centred on grey, the box is outlined where it is, and the figure has a column per activation.</summary>
public class UnitGalleryFigureTests
{
    /// <summary>A 13×11 RGB picture whose every byte says where it is.</summary>
    static RgbImage Picture() => new(11, 13, 3, [.. Enumerable.Range(0, 13 * 11 * 3).Select(i => (byte)(i % 251))]);

    [Fact]
    public void A_patch_is_the_pixels_under_the_box_clipped_to_the_picture()
    {
        var picture = Picture();
        var patch = UnitGalleryFigure.Patch(picture, new PixelBox(-2, 7, 5, 6));
        (patch.Width, patch.Height).Should().Be((4, 3));
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 4; x++)
                for (int c = 0; c < 3; c++)
                    patch[y, x, c].Should().Be(picture[y, 7 + x, c]);
    }

    [Fact]
    public void A_projection_puts_zero_at_mid_grey_and_the_largest_magnitude_at_black_or_white()
    {
        var item = new UnitProjection(new TopActivation(0, 0, 0, 1), new PixelBox(0, 0, 1, 3), 1, [0f, -2f, 1f]);
        var image = UnitGalleryFigure.Projection(item);
        image.Pixels.Should().Equal(128, 0, 191);
    }

    [Fact]
    public void The_box_is_outlined_in_place_and_the_rest_left_as_it_was()
    {
        var picture = Picture();
        var boxed = UnitGalleryFigure.WithBox(picture, new PixelBox(2, 3, 8, 6));
        boxed[2, 3, 0].Should().Be(255);
        boxed[9, 8, 1].Should().Be(214);
        boxed[5, 5, 0].Should().Be(picture[5, 5, 0], "inside the border");
        boxed[0, 0, 2].Should().Be(picture[0, 0, 2], "outside the box");
    }

    [Fact]
    public void The_figure_has_a_column_per_activation_and_refuses_a_missing_picture()
    {
        var items = Enumerable.Range(0, 3).Select(i => new UnitProjection(new TopActivation(i, 1, 1, 3 - i), new PixelBox(1, 1, 5, 4), 3,
            [.. Enumerable.Range(0, 60).Select(v => (float)(v - 30))])).ToList();
        var result = new UnitGalleryResult("conv", 2, 4, "set", 10,
            new UnitProjections("conv", 2, ProjectionMethod.Deconvnet, "why", 13, 11, null, items), ["a", "b", "c"]);
        using var one = UnitGalleryFigure.Render(result with { Projections = result.Projections with { Items = items[..1] }, ImagePaths = ["a"] }, [Picture()], 40);
        using var three = UnitGalleryFigure.Render(result, [Picture(), Picture(), Picture()], 40);
        (three.Width - one.Width).Should().Be(2 * (40 + 6));
        three.Height.Should().Be(one.Height);
        using var decoded = SKBitmap.Decode(UnitGalleryFigure.RenderPng(result, [Picture(), Picture(), Picture()], 40));
        decoded.Width.Should().Be(three.Width);
        var missing = () => UnitGalleryFigure.Render(result, [Picture()]);
        missing.Should().Throw<ArgumentException>().WithMessage("*3*");
    }
}
