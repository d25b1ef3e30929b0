using FluentAssertions;
using SkiaSharp;
using UnitScope.Engine.Imaging;
using Xunit;

namespace UnitScope.Rendering.Tests;

/// <summary>The cheap encoder (<see cref="Png.Options"/>) is still lossless: what decodes is what was drawn.</summary>
public class PngTests
{
    [Theory]
    [InlineData(37, 23)]
    [InlineData(1, 1)]
    [InlineData(203, 61)]
    public void Encoded_bitmaps_decode_to_the_same_pixels(int width, int height)
    {
        var random = new Random(width * 1000 + height);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var pixels = bitmap.GetPixelSpan();
        for (int i = 0; i < width * height; i++)
        {
            // Noise, flat runs and gradients: every filter choice and compression path gets used.
            byte v = (byte)(i % 7 == 0 ? random.Next(256) : i % width);
            pixels[4 * i] = v;
            pixels[4 * i + 1] = (byte)random.Next(256);
            pixels[4 * i + 2] = (byte)(255 - v);
            pixels[4 * i + 3] = 255;
        }

        using var decoded = SKBitmap.Decode(Png.Encode(bitmap, "a test bitmap"), new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));

        decoded.GetPixelSpan().ToArray().Should().Equal(bitmap.GetPixelSpan().ToArray());
    }

    [Fact]
    public void Rgb_images_decode_to_the_same_pixels()
    {
        var random = new Random(5);
        var bytes = new byte[3 * 29 * 17];
        random.NextBytes(bytes);
        var image = new RgbImage(29, 17, 3, bytes);

        using var decoded = SKBitmap.Decode(Png.Encode(image));

        decoded.Width.Should().Be(29);
        for (int i = 0; i < 29 * 17; i++)
        {
            var c = decoded.GetPixel(i % 29, i / 29);
            new[] { c.Red, c.Green, c.Blue }.Should().Equal(bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2]);
        }
    }
}
