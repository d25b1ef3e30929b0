using UnitScope.Engine;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering.Tests;

public class ImageFileTests
{
    [Fact]
    public void Rgb_png_decodes_to_three_channels_with_pils_pixels()
    {
        var image = ImageFile.Load(Fixtures.Image("rgb_12x10.png"));
        (image.Width, image.Height, image.Channels).Should().Be((12, 10, 3));
        // reference: ToTensor + Normalize(ImageNet) of PIL's pixels; undo it to get the bytes.
        var normalized = Fixtures.Flat(Fixtures.Ref("rgb_imagenet"));
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 120; i++)
            {
                float v = normalized[c * 120 + i] * InputSpec.ImageNetStd[c] + InputSpec.ImageNetMean[c];
                image.Pixels[3 * i + c].Should().Be((byte)MathF.Round(v * 255));
            }
    }

    [Fact]
    public void Gray_png_decodes_to_one_channel()
    {
        var image = ImageFile.Load(Fixtures.Image("gray_9x7.png"));
        (image.Width, image.Height, image.Channels).Should().Be((9, 7, 1));
        image.Pixels.Should().HaveCount(63);
    }

    [Fact]
    public void Alpha_is_dropped_keeping_the_unpremultiplied_colour_like_pil_convert_rgb()
    {
        var image = ImageFile.Load(Fixtures.Image("rgba_6x5.png"));
        (image.Width, image.Height, image.Channels).Should().Be((6, 5, 3));
        var expected = Fixtures.Flat(Fixtures.Ref("rgba_rgb")).Select(v => (byte)v).ToArray();
        image.Pixels.Should().Equal(expected);
    }

    [Fact]
    public void Jpeg_decodes_like_pil()
    {
        var jpeg = ImageFile.Load(Fixtures.Image("rgb_12x10.jpg"));
        (jpeg.Width, jpeg.Height, jpeg.Channels).Should().Be((12, 10, 3));
        // Two libjpeg builds may round the IDCT and chroma upsampling a little differently.
        var pil = Fixtures.Flat(Fixtures.Ref("jpeg_rgb"));
        var diffs = jpeg.Pixels.Select((b, i) => Math.Abs(b - pil[i])).ToArray();
        diffs.Max().Should().BeLessThanOrEqualTo(8f);
        diffs.Average().Should().BeLessThan(1.5f);
    }

    [Theory]
    [InlineData("rgb_12x10.bmp")]
    [InlineData("rgb_12x10.webp")]
    public void Lossless_formats_decode_to_the_pngs_pixels(string name)
    {
        var image = ImageFile.Load(Fixtures.Image(name));
        (image.Width, image.Height, image.Channels).Should().Be((12, 10, 3));
        image.Pixels.Should().Equal(ImageFile.Load(Fixtures.Image("rgb_12x10.png")).Pixels);
    }

    [Fact]
    public void Decode_reads_bytes_the_same_as_load()
    {
        var path = Fixtures.Image("rgb_12x10.png");
        ImageFile.Decode(File.ReadAllBytes(path), "x").Pixels.Should().Equal(ImageFile.Load(path).Pixels);
    }

    [Fact]
    public void Missing_file_is_FileNotFound_naming_the_path()
    {
        var path = Path.Combine(Fixtures.Images, "no_such_image.png");
        var e = Assert.Throws<UnitScopeException>(() => ImageFile.Load(path));
        e.Kind.Should().Be(EngineErrorKind.FileNotFound);
        e.Message.Should().Contain(path);
    }

    [Theory]
    [InlineData("not_an_image.png")]
    [InlineData("make_fixtures.py")]
    public void Undecodable_file_is_BadImage_naming_the_file(string name)
    {
        var path = Fixtures.Image(name);
        var e = Assert.Throws<UnitScopeException>(() => ImageFile.Load(path));
        e.Kind.Should().Be(EngineErrorKind.BadImage);
        e.Message.Should().Contain(path);
    }

    [Fact]
    public void Empty_and_truncated_bytes_are_BadImage()
    {
        Assert.Throws<UnitScopeException>(() => ImageFile.Decode([], "empty.png")).Kind.Should().Be(EngineErrorKind.BadImage);
        var png = File.ReadAllBytes(Fixtures.Image("rgb_12x10.png"));
        var e = Assert.Throws<UnitScopeException>(() => ImageFile.Decode(png[..(png.Length / 2)], "half.png"));
        e.Kind.Should().Be(EngineErrorKind.BadImage);
        e.Message.Should().Contain("half.png");
    }

    [Fact]
    public void Folder_is_not_an_image()
    {
        Assert.Throws<UnitScopeException>(() => ImageFile.Load(Fixtures.Images)).Kind.Should().Be(EngineErrorKind.BadImage);
    }
}
