using SkiaSharp;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Tests.Datasets;

/// <summary>ImageFolder evaluation sets: torchvision's layout and order, preprocessing, class mapping, clear errors.</summary>
public sealed class ImageFolderSetTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-imagefolder-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>Writes a solid-colour image (PNG, or JPEG by extension) of the given size.</summary>
    string Image(string relative, int width = 8, int height = 6, byte r = 10, byte g = 20, byte b = 30)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(r + x), (byte)(g + y), b));
        var format = path.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png;
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    [Fact]
    public void Classes_are_the_folder_names_sorted_ordinally_and_images_follow_torchvision_order()
    {
        Image("dog/b.png");
        Image("dog/a.JPG");
        Image("dog/z/c.png");
        Image("Cat/x.png");
        Image("cat/1.png");
        Image("cat/.hidden.png");
        Image(".cache/q.png");
        File.WriteAllText(Path.Combine(_root, "dog", "notes.txt"), "not an image");

        var set = ImageFolderSet.Open(_root);
        set.ClassNames.Should().Equal("Cat", "cat", "dog");
        set.Count.Should().Be(5);
        set.ImagePaths.Select(p => Path.GetRelativePath(_root, p).Replace('\\', '/')).Should().Equal("Cat/x.png", "cat/1.png", "dog/a.JPG", "dog/b.png", "dog/z/c.png");
        Enumerable.Range(0, set.Count).Select(set.ClassOf).Should().Equal(0, 1, 2, 2, 2);
        var sample = set.Load(2);
        sample.ClassIndex.Should().Be(2);
        sample.Image.Width.Should().Be(8);
        sample.ImagePath.Should().EndWith("a.JPG");
    }

    [Fact]
    public void Resize_and_centre_crop_as_torchvision_eval()
    {
        Image("a/wide.png", width: 40, height: 20);
        var options = new ImageFolderOptions { ResizeShorterSide = 10, CropHeight = 8, CropWidth = 8 };
        var set = ImageFolderSet.Open(_root, options);
        var image = set.Load(0).Image;
        (image.Width, image.Height).Should().Be((8, 8));
        var resized = ImageResize.Resize(ImageFile.Load(Path.Combine(_root, "a", "wide.png")), 20, 10);
        // Crop offsets: top round((10 - 8) / 2) = 1, left round((20 - 8) / 2) = 6.
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                image[y, x, 0].Should().Be(resized[y + 1, x + 6, 0]);

        ImageFolderOptions.ImageNetEval(224).Should().Be(new ImageFolderOptions { ResizeShorterSide = 256, CropHeight = 224, CropWidth = 224 });
        new ImageFolderOptions().Apply(image).Should().BeSameAs(image);
        var padded = new ImageFolderOptions { CropHeight = 12, CropWidth = 10 }.Apply(image);
        (padded.Width, padded.Height).Should().Be((10, 12));
        padded[0, 0, 0].Should().Be(0, "a crop larger than the image pads with black");
        padded[2, 1, 0].Should().Be(image[0, 0, 0]);
    }

    [Fact]
    public void Explicit_options_override_a_models_saved_ones_setting_by_setting()
    {
        var saved = new ImageFolderOptions { ResizeShorterSide = 40, CropHeight = 30, CropWidth = 20 };
        new ImageFolderOptions().WithDefaults(saved).Should().Be(saved);
        new ImageFolderOptions { ResizeShorterSide = 12 }.WithDefaults(saved)
            .Should().Be(new ImageFolderOptions { ResizeShorterSide = 12, CropHeight = 30, CropWidth = 20 });
        new ImageFolderOptions { CropHeight = 8, CropWidth = 8 }.WithDefaults(saved)
            .Should().Be(new ImageFolderOptions { ResizeShorterSide = 40, CropHeight = 8, CropWidth = 8 });
        new ImageFolderOptions { CropHeight = 8, CropWidth = 8 }.WithDefaults(new ImageFolderOptions())
            .Should().Be(new ImageFolderOptions { CropHeight = 8, CropWidth = 8 });
        new ImageFolderOptions().WithDefaults(null).IsEmpty.Should().BeTrue();
        saved.ToString().Should().Be("resize 40, centre crop 30x20");
        new ImageFolderOptions().ToString().Should().Be("as decoded");

        // What the images become, and the set's identity with them.
        Image("a/wide.png", width: 80, height: 50);
        var withSaved = ImageFolderSet.Open(_root, new ImageFolderOptions().WithDefaults(saved));
        var image = withSaved.Load(0).Image;
        (image.Width, image.Height).Should().Be((20, 30));
        var overridden = ImageFolderSet.Open(_root, new ImageFolderOptions { CropHeight = 16, CropWidth = 16 }.WithDefaults(saved));
        (overridden.Load(0).Image.Width, overridden.Load(0).Image.Height).Should().Be((16, 16));
        new[] { withSaved.ContentHash, overridden.ContentHash, ImageFolderSet.Open(_root).ContentHash }.Should().OnlyHaveUniqueItems();
        ImageFolderSet.Open(_root, saved).ContentHash.Should().Be(withSaved.ContentHash, "the same sizing, however it was chosen");
    }

    [Fact]
    public void The_content_hash_follows_files_and_preprocessing()
    {
        Image("a/1.png");
        string second = Image("b/2.png");
        string hash = ImageFolderSet.Open(_root).ContentHash;
        ImageFolderSet.Open(_root).ContentHash.Should().Be(hash);
        ImageFolderSet.Open(_root, ImageFolderOptions.ImageNetEval(32)).ContentHash.Should().NotBe(hash);
        Image("b/2.png", width: 9);
        File.SetLastWriteTimeUtc(second, DateTime.UtcNow.AddMinutes(1));
        ImageFolderSet.Open(_root).ContentHash.Should().NotBe(hash);
    }

    [Fact]
    public void A_missing_or_empty_folder_or_class_is_a_clear_error()
    {
        var missing = () => ImageFolderSet.Open(Path.Combine(_root, "nope"));
        missing.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.FileNotFound).WithMessage("*not found*nope*");

        Directory.CreateDirectory(_root);
        var empty = () => ImageFolderSet.Open(_root);
        empty.Should().Throw<UnitScopeException>().WithMessage("*has no class folders and no images*a folder named after the class*");

        Image("loose.png");
        empty.Should().Throw<UnitScopeException>().WithMessage("*its images lie directly in it*");

        Image("cat/1.png");
        Directory.CreateDirectory(Path.Combine(_root, "dog"));
        File.WriteAllText(Path.Combine(_root, "dog", "readme.md"), "");
        var emptyClass = () => ImageFolderSet.Open(_root);
        emptyClass.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument).WithMessage("*class folder 'dog' has no images*");

        var file = () => ImageFolderSet.Open(Path.Combine(_root, "loose.png"));
        file.Should().Throw<UnitScopeException>().WithMessage("*is a file*");
    }

    [Fact]
    public void An_unreadable_image_is_named_when_loaded()
    {
        Image("cat/1.png");
        string bad = Path.Combine(_root, "cat", "2.png");
        File.WriteAllBytes(bad, [1, 2, 3, 4]);
        var set = ImageFolderSet.Open(_root);
        var load = () => set.Load(1);
        load.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.BadImage).WithMessage($"*{bad}*");
    }

    [Fact]
    public void Classes_map_to_the_model_by_name_else_by_index()
    {
        Image("Beach/1.png");
        Image("parking_lot/1.png");
        var set = ImageFolderSet.Open(_root);
        EvaluationSet.MapClasses(set, ["street", "parking-lot", "forest", "beach"]).Should().Equal(3, 1);
        EvaluationSet.MapClasses(set, ["class 0", "class 1"]).Should().Equal(0, 1);
        var subset = () => EvaluationSet.MapClasses(set, ["class 0", "class 1", "class 2"]);
        subset.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.ClassMismatch)
            .WithMessage("*has 2 classes but the model has 3 outputs and no class names*");
        var score = () => EvaluationSet.MapClasses(set, ["class 0"]);
        score.Should().Throw<UnitScopeException>().WithMessage("*one output: a score*");
        var partly = () => EvaluationSet.MapClasses(set, ["street", "beach"]);
        partly.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.ClassMismatch).WithMessage("*1 of 2 of the classes*'parking_lot' not among the model's 2 ('street', 'beach')*");
        EvaluationSet.ResolveClass(set, "BEACH").Should().Be(0);
        EvaluationSet.ResolveClass(set, "parking lot").Should().Be(1);
        EvaluationSet.ResolveClass(set, "1").Should().Be(1);
        var unknown = () => EvaluationSet.ResolveClass(set, "2");
        unknown.Should().Throw<UnitScopeException>().WithMessage("*'2' is not one of the 2 classes*'Beach', 'parking_lot'*");

        Image("zoo/1.png");
        var three = ImageFolderSet.Open(_root);
        var tooMany = () => EvaluationSet.MapClasses(three, ["class 0", "class 1"]);
        tooMany.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.ClassMismatch)
            .WithMessage("*has 3 classes but the model has 2 outputs and no class names*");
    }

    [Fact]
    public void A_limit_keeps_evenly_spaced_images_so_every_class_stays()
    {
        for (int i = 0; i < 10; i++) Image($"a/{i}.png");
        for (int i = 0; i < 10; i++) Image($"b/{i}.png");
        var set = ImageFolderSet.Open(_root);
        var limited = EvaluationSet.Limit(set, 6);
        limited.Count.Should().Be(6);
        Enumerable.Range(0, 6).Select(limited.ClassOf).Should().Equal(0, 0, 0, 1, 1, 1);
        limited.Load(5).ImagePath.Should().EndWith(Path.Combine("b", "6.png"));
        limited.Load(5).Index.Should().Be(5);
        limited.ContentHash.Should().NotBe(set.ContentHash);
        EvaluationSet.Limit(set, 20).Should().BeSameAs(set);
    }

    [Fact]
    public void The_probe_set_scene_labels_are_an_evaluation_set()
    {
        var probe = BrodenDataset.Open(DatasetFolders.BrodenMini);
        var act = () => EvaluationSet.FromProbe(probe);
        if (!probe.Concepts.Any(c => c.Category == "scene"))
        {
            act.Should().Throw<UnitScopeException>().WithMessage("*no 'scene' labels*");
            return;
        }
        var scenes = act();
        scenes.ClassNames.Should().Equal(probe.Concepts.Where(c => c.Category == "scene").Select(c => c.Name));
        scenes.Count.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo(probe.Count);
    }
}
