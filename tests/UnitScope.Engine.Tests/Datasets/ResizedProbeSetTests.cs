using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Datasets;

/// <summary>
/// Probe images and their masks resized together to a model's input size (dissect --resize-probe): images as the
/// model's resize does, masks by nearest neighbour so every label is the label of the source pixel under it.
/// </summary>
public class ResizedProbeSetTests
{
    static readonly string Broden = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "broden_mini");

    [Fact]
    public void Images_and_masks_are_resized_together_and_labels_stay_exact()
    {
        var inner = BrodenDataset.Open(Broden);
        var resized = new ResizedProbeSet(inner, 5, 7, Resampling.Bicubic);
        resized.Count.Should().Be(inner.Count);
        resized.Concepts.Should().BeSameAs(inner.Concepts);
        for (int i = 0; i < inner.Count; i++)
        {
            var before = inner.Load(i);
            var after = resized.Load(i);
            (after.Image.Width, after.Image.Height, after.MaskWidth, after.MaskHeight).Should().Be((7, 5, 7, 5));
            after.Image.Pixels.Should().Equal(ImageResize.Resize(before.Image, 7, 5, Resampling.Bicubic).Pixels);
            after.ImageLabels.Should().BeSameAs(before.ImageLabels);
            after.PixelLabels.Keys.Should().BeEquivalentTo(before.PixelLabels.Keys);
            foreach (var (category, masks) in before.PixelLabels)
                for (int m = 0; m < masks.Count; m++)
                    for (int y = 0; y < 5; y++)
                        for (int x = 0; x < 7; x++)
                        {
                            // The source pixel whose square holds the output pixel's centre; a centre exactly on a boundary
                            // may go to either side (PIL's stepping by repeated addition decides, see PilResampleTests).
                            var ys = Sources(y, before.MaskHeight, 5);
                            var xs = Sources(x, before.MaskWidth, 7);
                            var allowed = ys.SelectMany(sy => xs.Select(sx => masks[m][sy * before.MaskWidth + sx])).ToList();
                            allowed.Should().Contain(after.PixelLabels[category][m][y * 7 + x], "{0} mask {1} at ({2}, {3})", category, m, x, y);
                        }
        }
        resized.ContentHash.Should().NotBe(inner.ContentHash, "a dissection over resized probes is another result");
        new ResizedProbeSet(inner, 5, 7, Resampling.Bilinear).ContentHash.Should().NotBe(resized.ContentHash);
        new ResizedProbeSet(inner, 5, 7, Resampling.Bicubic).ContentHash.Should().Be(resized.ContentHash);
    }

    /// <summary>The source index under output <paramref name="i"/>'s centre, and the one before when the centre is on their boundary.</summary>
    static int[] Sources(int i, int inSize, int outSize)
    {
        int numerator = (2 * i + 1) * inSize, denominator = 2 * outSize; // (i + 0.5) · in / out, exactly
        int at = numerator / denominator;
        return numerator % denominator == 0 && at > 0 ? [at, at - 1] : [at];
    }

    [Fact]
    public void The_size_note_says_when_probe_images_are_not_the_input_size()
    {
        var probe = BrodenDataset.Open(Broden);
        var first = probe.Load(0);
        var same = new InputSpec(3, first.Image.Height, first.Image.Width, InputSpec.ImageNetMean, InputSpec.ImageNetStd);
        ResizedProbeSet.SizeNote(probe, same, "--resize-probe").Should().BeNull();
        ResizedProbeSet.SizeNote(probe, same with { Height = 32, Width = 32 }, "--resize-probe").Should()
            .Be("The probe images are 8x8 (masks 4x4) but the model takes 32x32: each image is resized to 32x32 for the forward pass and " +
                "the unit maps are upsampled to the masks. --resize-probe resizes the images and their masks together to 32x32 instead " +
                "(masks by nearest neighbour, so labels stay exact).");
    }
}
