using UnitScope.Engine;
using UnitScope.Engine.Datasets;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// The daemon's real analysis engine opens an ImageFolder evaluation set sized as the model's description
/// file says (<c>"resize"</c>, <c>"centerCrop"</c>): the images the analyses get have that size, a model
/// without a description gets them as decoded, the two never share an opened set, and results are cached
/// under keys that differ by the sizing (the two models are byte-identical copies of the sample checkpoint,
/// so the sizing is the only difference between their keys).
/// </summary>
public sealed class EvaluationSetSizingTests : IDisposable
{
    private static readonly string[] Classes = ["circle", "square", "triangle", "cross"];
    private readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "sizing-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void An_image_folder_opened_for_a_model_takes_its_saved_resize_and_crop()
    {
        var folder = Path.Combine(_root, "eval");
        foreach (var name in Classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            File.Copy(RepoPaths.Get("samples", "images", $"{name}.png"), Path.Combine(folder, name, "a.png"));
        }
        string Model(string name)
        {
            var path = Path.Combine(_root, name + ".pth");
            File.Copy(RepoPaths.Get("samples", "smallcnn.pth"), path);
            File.Copy(RepoPaths.Get("samples", "smallcnn.classes.txt"), Path.Combine(_root, name + ".classes.txt"));
            return path;
        }
        var described = Model("described");
        var plain = Model("plain");
        // The sample images are 64x64: Resize(40) makes them 40x40, then the centre 24x20 is cut out.
        File.WriteAllText(Path.Combine(_root, "described.unitscope.json"), """{ "resize": 40, "centerCrop": [24, 20] }""");

        var log = new StringWriter();
        var daemonLog = new DaemonLog(TextWriter.Synchronized(log));
        var cache = Path.Combine(_root, "cache");
        var analysis = new EngineAnalysis(daemonLog, new EngineDissection(daemonLog, cache), cache);
        var loader = new EngineModelLoader();
        using var withDescription = loader.Load(described, new ModelOptions { Device = "cpu" });
        using var without = loader.Load(plain, new ModelOptions { Device = "cpu" });
        withDescription.CheckpointHash.Should().Be(without.CheckpointHash, "the same bytes");

        var spec = EvaluationSetSpec.Parse(folder);
        var sized = analysis.OpenEvaluationSet(withDescription, spec, null, CancellationToken.None);
        var asDecoded = analysis.OpenEvaluationSet(without, spec, null, CancellationToken.None);

        var image = ((EngineAnalysis.OpenSet)sized).Set.Load(0).Image;
        (image.Width, image.Height).Should().Be((20, 24));
        var original = ((EngineAnalysis.OpenSet)asDecoded).Set.Load(0).Image;
        (original.Width, original.Height).Should().Be((64, 64), "a model without a description gets the images as decoded");
        sized.ContentHash.Should().Be(ImageFolderSet.Open(folder, new ImageFolderOptions { ResizeShorterSide = 40, CropHeight = 24, CropWidth = 20 }).ContentHash);
        asDecoded.ContentHash.Should().Be(ImageFolderSet.Open(folder).ContentHash);
        sized.Name.Should().Be(folder).And.Be(asDecoded.Name, "results name the folder either way");
        log.ToString().Should().Contain("resize 40, centre crop 24x20");

        var settings = new AblationSettings("conv4", [0, 1], RandomControl: false, Seed: 1, MaxImages: null, BatchSize: 8);
        analysis.Ablate(withDescription, sized, settings, null, CancellationToken.None);
        analysis.Ablate(without, asDecoded, settings, null, CancellationToken.None);
        Directory.GetFiles(Path.Combine(cache, "analyses", "ablation"), "*.json", SearchOption.AllDirectories)
            .Should().HaveCount(2, "the sizing is part of the key: the second ablation is not the first one's cache entry");
    }

    [Fact]
    public void Results_and_model_info_say_how_images_became_input_with_warnings()
    {
        var folder = Path.Combine(_root, "eval");
        foreach (var name in Classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            File.Copy(RepoPaths.Get("samples", "images", $"{name}.png"), Path.Combine(folder, name, "a.png"));
        }
        var nameless = Path.Combine(_root, "nameless.pth");
        File.Copy(RepoPaths.Get("samples", "smallcnn.pth"), nameless);
        var gray = Path.Combine(_root, "gray.pth");
        File.Copy(RepoPaths.Get("tests", "fixtures", "models", "smallcnn_mnist.pth"), gray);

        var daemonLog = new DaemonLog(TextWriter.Null);
        var cache = Path.Combine(_root, "cache");
        var analysis = new EngineAnalysis(daemonLog, new EngineDissection(daemonLog, cache), cache);
        var loader = new EngineModelLoader();
        using var model = loader.Load(nameless, new ModelOptions { Device = "cpu" });
        var set = analysis.OpenEvaluationSet(model, EvaluationSetSpec.Parse(folder), null, CancellationToken.None);
        var result = analysis.Ablate(model, set, new AblationSettings("conv4", [0], RandomControl: false, Seed: 1, MaxImages: null, BatchSize: 8),
            null, CancellationToken.None);
        result.Preprocessing.Should().NotBeNull();
        result.Preprocessing!.MeanSource.Should().Be("imagenet");
        result.Preprocessing.Warnings.Should().ContainSingle().Which.Should().Contain("by position").And.Contain("'circle' → output 0");

        using var grey = loader.Load(gray, new ModelOptions { Device = "cpu" });
        var info = ModelRegistry.Describe("g", grey);
        info.Preprocessing!.MeanSource.Should().Be("imagenetGray");
        info.Preprocessing.Mean.Should().Equal(0.449f);
        info.Preprocessing.Warnings.Should().ContainSingle().Which.Should().Contain("ImageNet's averaged");
        info.Preprocessing.Interpolation.Should().Be("bilinear");
    }
}
