using UnitScope.Rendering.Colormaps;

namespace UnitScope.Rendering.Tests;

public class ColormapTests
{
    [Theory]
    // matplotlib's published end colours: viridis #440154 → #fde725, inferno #000004 → #fcffa4.
    [InlineData("viridis", 0f, 0x44, 0x01, 0x54)]
    [InlineData("viridis", 1f, 0xFD, 0xE7, 0x25)]
    [InlineData("inferno", 0f, 0x00, 0x00, 0x04)]
    [InlineData("inferno", 1f, 0xFC, 0xFF, 0xA4)]
    [InlineData("jet", 0f, 0, 0, 128)]
    [InlineData("jet", 1f, 128, 0, 0)]
    [InlineData("gray", 0f, 0, 0, 0)]
    [InlineData("gray", 1f, 255, 255, 255)]
    [InlineData("viridis", -3f, 0x44, 0x01, 0x54)]
    [InlineData("viridis", 7f, 0xFD, 0xE7, 0x25)]
    [InlineData("viridis", float.NaN, 0x44, 0x01, 0x54)]
    public void Known_colours(string name, float t, int r, int g, int b) =>
        Colormap.Get(name).Map(t).Should().Be(((byte)r, (byte)g, (byte)b));

    [Theory]
    [InlineData("viridis")]
    [InlineData("inferno")]
    [InlineData("gray")]
    public void Perceptual_maps_grow_lighter_monotonically(string name)
    {
        var cmap = Colormap.Get(name);
        double previous = -1;
        for (int i = 0; i < 256; i++)
        {
            var (r, g, b) = cmap[i];
            double luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
            luma.Should().BeGreaterThan(previous - 1.0, "level {0} of {1}", i, name); // 8-bit rounding may dip by < 1
            previous = Math.Max(previous, luma);
        }
    }

    [Fact]
    public void Jet_is_green_in_the_middle()
    {
        var (r, g, b) = Colormap.Jet.Map(0.5f);
        g.Should().Be(255);
        ((int)r).Should().BeCloseTo(128, 2);
        ((int)b).Should().BeCloseTo(128, 2);
    }

    [Fact]
    public void Unknown_name_lists_the_known_ones() =>
        Assert.Throws<ArgumentException>(() => Colormap.Get("rainbow")).Message.Should().Contain("viridis");
}
