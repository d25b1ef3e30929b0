using System.Diagnostics;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Tests.Hostile;

/// <summary>
/// An image's size is checked from its header before anything is decoded, and a large JPEG whose analysis
/// needs only the model's input size is decoded at a reduced scale.
/// </summary>
public class ImageBombTests
{
    [Fact]
    public void A_header_past_the_pixel_limit_is_refused_before_decoding()
    {
        var bomb = ImageBombs.PngHeader(20000, 20000);
        bomb.Length.Should().BeLessThan(10_000);
        var watch = Stopwatch.StartNew();
        var error = FluentActions.Invoking(() => ImageFile.Decode(bomb, "bomb.png")).Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(EngineErrorKind.BadImage);
        error.Message.Should().Contain("20000x20000 = 400,000,000 pixels, more than the limit of 67,108,864");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(1), "nothing is allocated for it");
    }

    [Fact]
    public void A_header_too_large_for_any_buffer_is_a_bad_image_not_an_overflow()
    {
        // 30000² RGBA is 3.6 GB: past what one array holds, even with the limit raised above it.
        var bomb = ImageBombs.PngHeader(30000, 30000);
        using (ImageLimits.Use(long.MaxValue))
        {
            var error = FluentActions.Invoking(() => ImageFile.Decode(bomb, "bomb.png")).Should().Throw<UnitScopeException>().Which;
            error.Kind.Should().Be(EngineErrorKind.BadImage);
            error.Message.Should().Contain("too large to decode");
        }
    }

    [Fact]
    public void The_limit_is_a_setting_for_the_calling_flow()
    {
        var image = ImageBombs.PngHeader(30, 20, alpha: false, rows: 20);
        using (ImageLimits.Use(599))
            FluentActions.Invoking(() => ImageFile.Decode(image, "small.png")).Should().Throw<UnitScopeException>()
                .Which.Message.Should().Contain("600 pixels, more than the limit of 599");
        using (ImageLimits.Use(600))
            ImageFile.Decode(image, "small.png").Width.Should().Be(30);
        ImageLimits.MaxPixels.Should().Be(ImageLimits.DefaultMaxPixels, "the setting ends with its scope");
    }

    [Fact]
    public void A_large_jpeg_is_decoded_at_the_smallest_scale_that_keeps_twice_the_needed_size()
    {
        var jpeg = ImageBombs.Jpeg(5008, 4000); // 20 M pixels
        var whole = ImageFile.Decode(jpeg, "big.jpg");
        (whole.Width, whole.Height).Should().Be((5008, 4000));

        var forInput = ImageFile.Decode(jpeg, "big.jpg", new ImageDecodeHint(224, 224));
        (forInput.Width, forInput.Height).Should().Be((626, 500), "1/8 keeps both sides above 448");

        var forResize = ImageFile.Decode(jpeg, "big.jpg", new ImageDecodeHint(MinShorterSide: 256));
        (forResize.Width, forResize.Height).Should().Be((1252, 1000), "1/8 would make the shorter side 500 < 512");

        // The reduced decode is the same picture: its mean colour matches the whole one's.
        Mean(forInput).Should().BeApproximately(Mean(whole), 1.0);
    }

    [Fact]
    public void An_ordinary_photo_is_decoded_whole_whatever_the_hint()
    {
        var jpeg = ImageBombs.Jpeg(4032, 3024); // 12 M pixels: a phone's photo, decoded as PIL does
        var decoded = ImageFile.Decode(jpeg, "photo.jpg", new ImageDecodeHint(224, 224));
        (decoded.Width, decoded.Height).Should().Be((4032, 3024));
    }

    [Fact]
    public void A_model_asks_for_its_input_size_or_its_resize_and_for_nothing_when_it_crops_first()
    {
        using var session = ModelSession.Load(Models.ModelFixtures.Checkpoint("smallcnn_cifar"));
        session.DecodeHint().Should().Be(new ImageDecodeHint(session.Input.Width, session.Input.Height));
        session.DecodeHint(new UnitScope.Engine.Datasets.ImageFolderOptions { ResizeShorterSide = 40 }).Should().Be(new ImageDecodeHint(MinShorterSide: 40));
        session.DecodeHint(new UnitScope.Engine.Datasets.ImageFolderOptions { CropHeight = 24, CropWidth = 24 }).Should().BeNull();
    }

    static double Mean(RgbImage image) => image.Pixels.Average(b => (double)b);
}
