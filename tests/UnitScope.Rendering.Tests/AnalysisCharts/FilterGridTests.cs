using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Rendering.Charts;

namespace UnitScope.Rendering.Tests.AnalysisCharts;

/// <summary>The filter grid against its definition, pixel by pixel: each filter stretched over its own range.</summary>
public class FilterGridTests
{
    static FilterWeights Random(int filters, int channels, int height, int width, int seed)
    {
        var random = new Random(seed);
        var values = new float[filters * channels * height * width];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * (1 + i % 7);
        return new FilterWeights("conv1", filters, channels, height, width, values);
    }

    [Theory]
    [InlineData(5, 3, 7, 7)]    // 5 filters: 3 columns, the last row part-empty
    [InlineData(10, 1, 3, 5)]   // grey, not square
    [InlineData(1, 3, 11, 11)]
    public void Every_pixel_is_its_weight_stretched_over_its_filters_range(int count, int channels, int height, int width)
    {
        var filters = Random(count, channels, height, width, seed: count * 31 + width);
        var image = FilterGrid.Draw(filters);

        int scale = (int)Math.Ceiling(24.0 / Math.Min(height, width));
        int columns = (int)Math.Ceiling(Math.Sqrt(count)), rows = (count + columns - 1) / columns;
        image.Channels.Should().Be(channels);
        image.Width.Should().Be(2 + columns * (width * scale + 2));
        image.Height.Should().Be(2 + rows * (height * scale + 2));
        for (int f = 0; f < count; f++)
        {
            int size = channels * height * width;
            var own = filters.Values.Skip(f * size).Take(size).ToArray();
            float lo = own.Min(), hi = own.Max();
            int left = 2 + f % columns * (width * scale + 2), top = 2 + f / columns * (height * scale + 2);
            for (int y = 0; y < height * scale; y++)
                for (int x = 0; x < width * scale; x++)
                    for (int c = 0; c < channels; c++)
                    {
                        double expected = Math.Round(255 * ((filters.At(f, c, y / scale, x / scale) - lo) / (hi - lo)));
                        image[top + y, left + x, c].Should().Be((byte)expected, $"filter {f} at ({y}, {x}) channel {c}");
                    }
            // Each filter reaches both ends of the scale (its own minimum and maximum, in some channel).
            var levels = Enumerable.Range(0, height * scale).SelectMany(y => Enumerable.Range(0, width * scale)
                .SelectMany(x => Enumerable.Range(0, channels).Select(c => image[top + y, left + x, c]))).ToList();
            levels.Min().Should().Be(0);
            levels.Max().Should().Be(255);
        }
        image[0, 0, 0].Should().Be(FilterGrid.GapLevel, "the border between filters");
    }

    [Fact]
    public void A_constant_filter_is_mid_grey_and_filters_of_other_channel_counts_are_refused()
    {
        var flat = new FilterWeights("conv1", 1, 1, 3, 3, Enumerable.Repeat(0.5f, 9).ToArray());
        FilterGrid.Draw(flat)[2, 2, 0].Should().Be(128);
        FluentActions.Invoking(() => FilterGrid.Draw(Random(2, 4, 3, 3, 1))).Should().Throw<ArgumentException>().WithMessage("*4 channels*");
    }

    [Fact]
    public void The_png_decodes_to_the_grid()
    {
        var filters = Random(7, 3, 5, 5, 3);
        using var bitmap = SkiaSharp.SKBitmap.Decode(FilterGrid.RenderPng(filters));
        var image = FilterGrid.Draw(filters);
        (bitmap.Width, bitmap.Height).Should().Be((image.Width, image.Height));
        var pixel = bitmap.GetPixel(10, 7);
        (pixel.Red, pixel.Green, pixel.Blue).Should().Be((image[7, 10, 0], image[7, 10, 1], image[7, 10, 2]));
    }
}
