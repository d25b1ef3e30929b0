using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests;

/// <summary>
/// <see cref="ModelSession.SizeImage"/>: a single image is sized as the model's description file says
/// (<c>resize</c>, <c>centerCrop</c>), as its evaluation images are, explicit settings winning one by one; the
/// sized image is what predictions, unit maps and occlusion see, and what occlusion's cache key hashes. The
/// models are byte-identical copies of the sample SmallCNN (64×64 input), one with a description, one without.
/// </summary>
// Compares a described model's passes with a plain one's bit for bit: apart from tests that switch oneDNN.
[Collection(ExactNumerics.Name)]
public sealed class ImageSizingTests : IDisposable
{
    readonly Storage.StoreSamples.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    ModelSession Model(string name, string? description = null)
    {
        string path = Path.Combine(_temp.Path, name + ".pth");
        File.Copy(Path.Combine(ModelFixtures.RepoRoot, "samples", "smallcnn.pth"), path);
        if (description is not null)
            File.WriteAllText(Path.Combine(_temp.Path, name + ".unitscope.json"), description);
        return ModelSession.Load(path, new ModelOptions { Device = "cpu" });
    }

    static RgbImage Sample(string name) => ImageFile.Load(Path.Combine(ModelFixtures.RepoRoot, "samples", "images", name + ".png"));

    /// <summary>The 64×64 sample in the middle of a 96×64 grey canvas: its centre 64×64 is the sample, pixel for pixel.</summary>
    static RgbImage Widened(RgbImage sample)
    {
        const int pad = 16;
        int width = sample.Width + 2 * pad, c = sample.Channels;
        var pixels = Enumerable.Repeat((byte)128, width * sample.Height * c).ToArray();
        for (int y = 0; y < sample.Height; y++)
            Array.Copy(sample.Pixels, y * sample.Width * c, pixels, (y * width + pad) * c, sample.Width * c);
        return new RgbImage(width, sample.Height, c, pixels);
    }

    [Fact]
    public void A_saved_centre_crop_gives_predictions_and_unit_maps_of_the_manually_cropped_image()
    {
        using var described = Model("described", """{ "centerCrop": 64 }""");
        using var plain = Model("plain");
        var circle = Sample("circle");
        var wide = Widened(circle);

        var sized = described.SizeImage(wide);
        (sized.Width, sized.Height).Should().Be((64, 64));
        sized.Pixels.Should().Equal(circle.Pixels, "the centre crop of the widened image is the sample itself");
        plain.SizeImage(wide).Should().BeSameAs(wide, "without a description the image goes in as decoded");

        described.Predict(sized).Logits.Should().Equal(plain.Predict(circle).Logits);
        described.Predict(sized).Top[0].Label.Should().Be(plain.Predict(circle).Top[0].Label);
        described.ComputeUnitMap(sized, "conv3", 5).Values.Should().Equal(plain.ComputeUnitMap(circle, "conv3", 5).Values);
        plain.Predict(wide).Logits.Should().NotEqual(plain.Predict(circle).Logits, "squashing the wide image is another input");
    }

    [Fact]
    public void Explicit_settings_win_over_the_saved_ones_one_by_one()
    {
        using var described = Model("described", """{ "resize": 40, "centerCrop": [24, 20] }""");
        var image = Sample("square");

        described.ImageSizing().Should().Be(new ImageFolderOptions { ResizeShorterSide = 40, CropHeight = 24, CropWidth = 20 });
        var sized = described.SizeImage(image);
        (sized.Width, sized.Height).Should().Be((20, 24));
        sized.Pixels.Should().Equal(described.ImageSizing().Apply(image).Pixels, "the same sizing as the model's image folders");

        var crop = described.SizeImage(image, new ImageFolderOptions { CropHeight = 32, CropWidth = 32 });
        (crop.Width, crop.Height).Should().Be((32, 32), "the explicit crop wins, of the saved resize's 40×40");
        crop.Pixels.Should().Equal(new ImageFolderOptions { ResizeShorterSide = 40, CropHeight = 32, CropWidth = 32 }.Apply(image).Pixels);
        var resize = described.SizeImage(image, new ImageFolderOptions { ResizeShorterSide = 48 });
        (resize.Width, resize.Height).Should().Be((20, 24), "the saved crop stays");

        var bad = () => described.SizeImage(image, new ImageFolderOptions { CropHeight = 10 });
        bad.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument);
    }

    [Fact]
    public void Occlusion_runs_on_the_sized_image_and_its_cache_key_follows_the_sizing()
    {
        using var described = Model("described", """{ "centerCrop": 64 }""");
        using var plain = Model("plain");
        described.CheckpointHash.Should().Be(plain.CheckpointHash, "the same bytes: only the sizing tells their keys apart");
        var circle = Sample("circle");
        var wide = Widened(circle);
        var options = new OcclusionOptions { Size = 16, Stride = 16 };

        var sized = described.SizeImage(wide);
        var result = Occluder.Run(described, sized, options);
        var manual = Occluder.Run(plain, circle, options);
        result.TargetProbability.Should().Equal(manual.TargetProbability);
        result.MostProbableClass.Should().Equal(manual.MostProbableClass);
        result.ImageHash.Should().Be(Occluder.ImageHash(circle));

        var key = AnalysisKey.Occlusion(described, Occluder.ImageHash(sized), options);
        AnalysisKey.Occlusion(plain, Occluder.ImageHash(plain.SizeImage(wide)), options).Should().NotBe(key,
            "the same file unsized is another image");
        AnalysisKey.Occlusion(described, Occluder.ImageHash(described.SizeImage(wide, new ImageFolderOptions { CropHeight = 60, CropWidth = 60 })), options)
            .Should().NotBe(key, "another crop is another image");
        AnalysisKey.Occlusion(described, Occluder.ImageHash(described.SizeImage(wide, new ImageFolderOptions { ResizeShorterSide = 32 })), options)
            .Should().NotBe(key, "another resize is another image");
        AnalysisKey.Occlusion(plain, Occluder.ImageHash(circle), options).Should().Be(key,
            "the key is the pixels the model sees: the manually cropped file is the same image");
        using var bicubic = Model("bicubic", """{ "interpolation": "bicubic" }""");
        AnalysisKey.Occlusion(bicubic, Occluder.ImageHash(circle), options).Should().NotBe(key,
            "another interpolation to the input size gives the model other pixels");
        key.CanonicalEncoding.Should().Contain("resampling:pil-bilinear\n");
    }
}
