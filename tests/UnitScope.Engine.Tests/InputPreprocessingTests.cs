using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests;

/// <summary>
/// What a model does to images is said, not decided silently: where its mean and std came from (the grey default
/// warned about), the resampling, a class-names file that does not fit, classes matched by position.
/// </summary>
public sealed class InputPreprocessingTests : IDisposable
{
    readonly Storage.StoreSamples.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    ModelSession Load(string fixture, string name, ModelOptions? options = null, string? description = null, string[]? classes = null)
    {
        string path = Path.Combine(_temp.Path, name + ".pth");
        File.Copy(ModelFixtures.Checkpoint(fixture), path);
        if (description is not null) File.WriteAllText(Path.Combine(_temp.Path, name + ".unitscope.json"), description);
        if (classes is not null) File.WriteAllLines(Path.Combine(_temp.Path, name + ".classes.txt"), classes);
        return ModelSession.Load(path, (options ?? new ModelOptions()) with { Device = "cpu" });
    }

    [Fact]
    public void A_grey_model_with_no_mean_or_std_is_warned_about_its_ImageNet_derived_defaults()
    {
        using var gray = Load("smallcnn_mnist", "gray");
        var p = gray.Preprocessing(null);
        (p.MeanSource, p.StdSource).Should().Be((NormalisationSource.ImageNetGray, NormalisationSource.ImageNetGray));
        p.Mean.Should().Equal(0.449f);
        p.Std.Should().Equal(0.226f);
        p.Summary.Should().Contain("mean 0.449 and std 0.226: ImageNet's averaged for a 1-channel model");
        p.Warnings.Should().ContainSingle().Which.Should().Contain("0.1307").And.Contain("gray.unitscope.json");
    }

    [Fact]
    public void Given_or_described_normalisation_says_where_it_came_from_and_warns_nothing()
    {
        using var given = Load("smallcnn_mnist", "given", new ModelOptions { Mean = [0.1307f], Std = [0.3081f] });
        given.Preprocessing(null).Warnings.Should().BeEmpty();
        given.MeanSource.Should().Be(NormalisationSource.Options);
        given.Preprocessing(null).Summary.Should().Contain("mean 0.1307 and std 0.3081: as given");

        using var described = Load("smallcnn_mnist", "described", new ModelOptions { Std = [0.5f] }, """{ "mean": [0.2] }""");
        (described.MeanSource, described.StdSource).Should().Be((NormalisationSource.Description, NormalisationSource.Options));
        described.Preprocessing(null).Summary.Should().Contain("mean 0.2 (from described.unitscope.json) and std 0.5 (as given)");

        using var rgb = Load("smallcnn_cifar", "rgb");
        rgb.MeanSource.Should().Be(NormalisationSource.ImageNet);
        rgb.Preprocessing(null).Warnings.Should().BeEmpty("ImageNet's statistics are the usual choice for RGB models");
    }

    [Fact]
    public void The_summary_says_the_sizing_and_the_resampling()
    {
        using var model = Load("smallcnn_cifar", "m", new ModelOptions { InputHeight = 32, InputWidth = 32 }, """{ "interpolation": "bicubic" }""");
        var sizing = model.ImageSizing(new ImageFolderOptions { ResizeShorterSide = 36, CropHeight = 32, CropWidth = 32 });
        model.Preprocessing(sizing).Summary.Should().StartWith("resize 36, centre crop 32x32, then resized to 32x32 when that is not their size (bicubic, as PIL does)");
        model.Preprocessing(sizing).Resampling.Should().Be(Resampling.Bicubic);
    }

    [Fact]
    public void A_class_names_file_that_does_not_fit_is_a_warning_not_silence()
    {
        using var model = Load("smallcnn_cifar", "named", classes: ["cat", "dog", "frog"]);
        model.ClassNames[0].Should().Be("class 0");
        model.LoadWarnings.Should().ContainSingle().Which.Should().Contain("named.classes.txt has 3 class names but the model has 10 outputs");
        model.Preprocessing(null).Warnings.Should().Contain(model.LoadWarnings);
    }

    [Fact]
    public void Classes_matched_by_position_are_pointed_out_and_by_name_they_are_not()
    {
        foreach (string c in (string[])["truck", "airplane", "cat"])
        {
            Directory.CreateDirectory(Path.Combine(_temp.Path, "set", c));
            File.WriteAllBytes(Path.Combine(_temp.Path, "set", c, "x.png"), File.ReadAllBytes(Path.Combine(ModelFixtures.RepoRoot, "samples", "images", "circle.png")));
        }
        var set = ImageFolderSet.Open(Path.Combine(_temp.Path, "set"));
        string[] placeholders = [.. Enumerable.Range(0, 3).Select(i => $"class {i}")];
        EvaluationSet.MatchedByPosition(set, placeholders).Should()
            .Contain("matched to its outputs by position").And.Contain("'airplane' → output 0, 'cat' → output 1, 'truck' → output 2");
        EvaluationSet.MatchedByPosition(set, ["truck", "cat", "airplane"]).Should().BeNull("classes are matched by name");
    }
}
