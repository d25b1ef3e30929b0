using TorchSharp;
using UnitScope.Engine;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering.Tests;

public class ImageTensorTests
{
    static readonly InputSpec ImageNet = new(3, 10, 12, InputSpec.ImageNetMean, InputSpec.ImageNetStd);

    static void Check(string imageFile, InputSpec spec, string reference, float tolerance = 1e-5f)
    {
        var values = ImageTensor.ToChw(ImageFile.Load(Fixtures.Image(imageFile)), spec);
        var expected = Fixtures.Flat(Fixtures.Ref(reference));
        values.Should().HaveCount(expected.Length);
        for (int i = 0; i < values.Length; i++)
            values[i].Should().BeApproximately(expected[i], tolerance, "value {0} of {1}", i, reference);
    }

    [Fact]
    public void Rgb_image_normalised_like_torchvision() => Check("rgb_12x10.png", ImageNet, "rgb_imagenet");

    [Fact]
    public void Gray_image_replicated_for_an_rgb_model_like_pil_convert_rgb() =>
        Check("gray_9x7.png", ImageNet with { Height = 7, Width = 9 }, "gray_to_rgb");

    [Fact]
    public void Rgb_image_to_gray_model_by_601_luma_like_pil_convert_l() =>
        // PIL rounds luma with fixed-point weights: a tie can land one level apart (1/255/0.25).
        Check("rgb_12x10.png", new InputSpec(1, 10, 12, [0.5f], [0.25f]), "rgb_to_gray", tolerance: 0.0158f);

    [Fact]
    public void Hand_computed_pixel()
    {
        var image = new RgbImage(1, 1, 3, [255, 0, 51]);
        var values = ImageTensor.ToChw(image, new InputSpec(3, 1, 1, [0.5f, 0.5f, 0.2f], [0.5f, 0.25f, 0.1f]));
        values[0].Should().BeApproximately(1f, 1e-6f);          // (1 − .5)/.5
        values[1].Should().BeApproximately(-2f, 1e-6f);         // (0 − .5)/.25
        values[2].Should().BeApproximately(0f, 1e-6f);          // (.2 − .2)/.1
        ImageTensor.Luma(255, 0, 51).Should().Be((byte)MathF.Round(0.299f * 255 + 0.114f * 51));
    }

    [Fact]
    public void ToInput_is_a_float32_1CHW_tensor_of_the_same_values()
    {
        var image = ImageFile.Load(Fixtures.Image("rgb_12x10.png"));
        using var t = ImageTensor.ToInput(image, ImageNet);
        t.shape.Should().Equal(1, 3, 10, 12);
        t.dtype.Should().Be(torch.ScalarType.Float32);
        t.data<float>().ToArray().Should().Equal(ImageTensor.ToChw(image, ImageNet));
    }

    [Fact]
    public void ToBatch_stacks_images_of_different_sizes_and_channels()
    {
        var rgb = ImageFile.Load(Fixtures.Image("rgb_12x10.png"));
        var gray = ImageFile.Load(Fixtures.Image("gray_9x7.png"));
        var spec = new InputSpec(3, 8, 8, InputSpec.ImageNetMean, InputSpec.ImageNetStd);
        using var batch = ImageTensor.ToBatch([rgb, gray, rgb], spec);
        batch.shape.Should().Equal(3, 3, 8, 8);
        var all = batch.data<float>().ToArray();
        all[..192].Should().Equal(ImageTensor.ToChw(rgb, spec));
        all[192..384].Should().Equal(ImageTensor.ToChw(gray, spec));
        all[384..].Should().Equal(all[..192]);
    }

    [Theory]
    [InlineData(1, 3, 1, "--mean")]
    [InlineData(3, 1, 3, "--mean")]
    [InlineData(3, 3, 1, "--std")]
    [InlineData(1, 1, 3, "--std")]
    public void Wrong_mean_or_std_count_is_InvalidArgument_naming_the_option(int channels, int means, int stds, string option)
    {
        var spec = new InputSpec(channels, 4, 4, Enumerable.Repeat(0.5f, means).ToArray(), Enumerable.Repeat(0.5f, stds).ToArray());
        var e = Assert.Throws<UnitScopeException>(() => ImageTensor.ToInput(new RgbImage(2, 2, 3, new byte[12]), spec));
        e.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        e.Message.Should().Contain(option);
    }

    [Fact]
    public void Mean_on_the_0_to_255_scale_is_InvalidArgument_saying_to_divide_by_255()
    {
        var spec = new InputSpec(3, 2, 2, [125.3f, 123.0f, 113.9f], InputSpec.ImageNetStd);
        var e = Assert.Throws<UnitScopeException>(() => ImageTensor.ToChw(new RgbImage(2, 2, 3, new byte[12]), spec));
        e.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        e.Message.Should().Contain("--mean").And.Contain("divide by 255: 0.4914,0.4824,0.4467");
        ImageTensor.Validate(spec with { Mean = [0f, 1f, 0.5f], Std = [1f, 0.5f, 0.01f] }); // the edges of the 0..1 scale are fine
    }

    [Fact]
    public void Zero_std_is_InvalidArgument()
    {
        var spec = new InputSpec(1, 2, 2, [0.5f], [0f]);
        Assert.Throws<UnitScopeException>(() => ImageTensor.ToChw(new RgbImage(2, 2, 1, new byte[4]), spec))
            .Kind.Should().Be(EngineErrorKind.InvalidArgument);
    }

    [Fact]
    public void Same_size_is_not_resampled()
    {
        var image = ImageFile.Load(Fixtures.Image("rgb_12x10.png"));
        ImageResize.Resize(image, 12, 10).Should().BeSameAs(image);
    }

    [Fact]
    public void Halving_an_image_of_2x2_blocks_with_the_box_filter_gives_the_blocks()
    {
        // 8x6 image of 2x2 blocks with distinct values; halved by averaging (box) it is the 4x3 block values.
        var blocks = new byte[] { 10, 200, 30, 90, 250, 0, 120, 60, 180, 40, 220, 100 };
        var pixels = new byte[8 * 6];
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 8; x++)
                pixels[y * 8 + x] = blocks[(y / 2) * 4 + x / 2];
        var half = ImageResize.Resize(new RgbImage(8, 6, 1, pixels), 4, 3, Resampling.Box);
        (half.Width, half.Height, half.Channels).Should().Be((4, 3, 1));
        half.Pixels.Should().Equal(blocks);
    }

    [Fact]
    public void Enlarging_a_constant_image_keeps_it_constant()
    {
        var image = new RgbImage(3, 2, 3, Enumerable.Repeat(new byte[] { 12, 140, 250 }, 6).SelectMany(p => p).ToArray());
        var big = ImageResize.Resize(image, 17, 11);
        (big.Width, big.Height).Should().Be((17, 11));
        for (int i = 0; i < 17 * 11; i++)
        {
            big.Pixels[3 * i].Should().Be(12);
            big.Pixels[3 * i + 1].Should().Be(140);
            big.Pixels[3 * i + 2].Should().Be(250);
        }
    }
}
