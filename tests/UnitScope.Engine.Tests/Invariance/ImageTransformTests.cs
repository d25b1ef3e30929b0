using UnitScope.Engine.Analysis.Invariance;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Invariance;

/// <summary>
/// The transformations against independent references: whole-pixel shifts against index arithmetic, rotation by a
/// quarter turn against rot90, and any rotation or scale against bilinear sampling written out pixel by pixel from
/// the documented definition (centre of rotation, direction, fill).
/// </summary>
public class ImageTransformTests
{
    static Tensor Image(int channels, int height, int width, int seed)
    {
        var generator = new Generator((ulong)seed);
        return randn([1, channels, height, width], generator: generator);
    }

    static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Theory]
    [InlineData(TransformKind.Translation, 0.0)]
    [InlineData(TransformKind.Rotation, 0.0)]
    [InlineData(TransformKind.Rotation, 360.0)]
    [InlineData(TransformKind.Rotation, -720.0)]
    [InlineData(TransformKind.Scale, 1.0)]
    public void The_identity_is_the_image_itself(TransformKind kind, double value)
    {
        using var image = Image(3, 13, 9, 1);
        var same = ImageTransforms.Apply(image, kind, value);
        same.Handle.Should().Be(image.Handle);
    }

    [Theory]
    [InlineData(TranslationAxis.Vertical, 4)]
    [InlineData(TranslationAxis.Vertical, -5)]
    [InlineData(TranslationAxis.Horizontal, 3)]
    [InlineData(TranslationAxis.Horizontal, -8)]
    public void A_translation_moves_pixels_by_whole_steps_and_fills_with_zero(TranslationAxis axis, int shift)
    {
        using var scope = NewDisposeScope();
        int c = 2, h = 11, w = 9;
        var image = Image(c, h, w, 2);
        var moved = Values(ImageTransforms.Apply(image, TransformKind.Translation, shift, axis));
        var source = Values(image);
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int sy = axis == TranslationAxis.Vertical ? y - shift : y, sx = axis == TranslationAxis.Horizontal ? x - shift : x;
                    float expected = sy is >= 0 and < 11 && sx is >= 0 and < 9 ? source[(ch * h + sy) * w + sx] : 0;
                    moved[(ch * h + y) * w + x].Should().Be(expected);
                }
    }

    [Fact]
    public void A_quarter_turn_counter_clockwise_is_rot90()
    {
        using var scope = NewDisposeScope();
        var image = Image(3, 10, 10, 3);
        var turned = ImageTransforms.Apply(image, TransformKind.Rotation, 90);
        // rot90 over (H, W) turns the picture counter-clockwise as it is seen (rows down, columns right).
        var expected = image.rot90(1, (2, 3));
        Values(turned).Should().Equal(Values(expected), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Theory]
    [InlineData(TransformKind.Rotation, 30.0, 12, 17)]
    [InlineData(TransformKind.Rotation, -115.0, 15, 15)]
    [InlineData(TransformKind.Scale, 1.7, 12, 17)]
    [InlineData(TransformKind.Scale, 0.55, 13, 10)]
    public void Rotation_and_scale_sample_bilinearly_about_the_centre(TransformKind kind, double value, int h, int w)
    {
        using var scope = NewDisposeScope();
        var image = Image(2, h, w, 4);
        var actual = Values(ImageTransforms.Apply(image, kind, value));
        var source = Values(image);
        double t = value * Math.PI / 180;
        for (int ch = 0; ch < 2; ch++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    // Output pixel centre, relative to the image's centre (pixel units, y down).
                    double X = x + 0.5 - w / 2.0, Y = y + 0.5 - h / 2.0;
                    double sx, sy;
                    if (kind == TransformKind.Rotation) { sx = X * Math.Cos(t) - Y * Math.Sin(t); sy = X * Math.Sin(t) + Y * Math.Cos(t); }
                    else { sx = X / value; sy = Y / value; }
                    double expected = Bilinear(source, ch, h, w, sx + w / 2.0 - 0.5, sy + h / 2.0 - 0.5);
                    actual[(ch * h + y) * w + x].Should().BeApproximately((float)expected, 1e-4f, $"pixel ({x}, {y}) channel {ch}");
                }
    }

    /// <summary>Bilinear interpolation at pixel coordinates (px, py) (pixel i's centre at i), zero outside.</summary>
    static double Bilinear(float[] v, int ch, int h, int w, double px, double py)
    {
        int x0 = (int)Math.Floor(px), y0 = (int)Math.Floor(py);
        double fx = px - x0, fy = py - y0;
        double At(int y, int x) => y >= 0 && y < h && x >= 0 && x < w ? v[(ch * h + y) * w + x] : 0;
        return (1 - fx) * (1 - fy) * At(y0, x0) + fx * (1 - fy) * At(y0, x0 + 1) + (1 - fx) * fy * At(y0 + 1, x0) + fx * fy * At(y0 + 1, x0 + 1);
    }

    [Theory]
    [InlineData(TransformKind.Translation, 11.0, "translate")]
    [InlineData(TransformKind.Translation, -11.0, "translate")]
    [InlineData(TransformKind.Translation, 2.5, "translate")]
    [InlineData(TransformKind.Scale, 0.0, "scale")]
    [InlineData(TransformKind.Scale, -1.0, "scale")]
    [InlineData(TransformKind.Scale, 0.05, "scale")]
    [InlineData(TransformKind.Rotation, double.NaN, "rotate")]
    public void A_value_that_leaves_nothing_of_the_image_is_refused_naming_the_sweep(TransformKind kind, double value, string option)
    {
        using var image = Image(3, 11, 14, 5);
        var act = () => ImageTransforms.Apply(image, kind, value);
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument && e.Message.Contains($"({option})"));
    }
}
