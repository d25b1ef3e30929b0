using System.Text.Json;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Ablation;

/// <summary>
/// An image folder with unreadable files among good ones (a truncated PNG, a text file named .png): ablation,
/// ranking and single-unit statistics leave those out, name them, and give on the rest exactly what PyTorch gave
/// on the good images alone (tests/fixtures/onnx_ablation's LeNet and its images, PyTorch's results).
/// </summary>
public sealed class UnreadableImageTests : IDisposable
{
    static readonly string Fixtures = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "onnx_ablation");

    readonly string _folder = Directory.CreateTempSubdirectory("unitscope-unreadable-").FullName;
    readonly string _truncated, _notAnImage;

    public UnreadableImageTests()
    {
        foreach (string source in Directory.GetFiles(Path.Combine(Fixtures, "lenet_images"), "*.png", SearchOption.AllDirectories))
        {
            string target = Path.Combine(_folder, Path.GetRelativePath(Path.Combine(Fixtures, "lenet_images"), source));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
        // Sorted first in their class folders, so they fall in the first batch and the first mode trial.
        byte[] png = File.ReadAllBytes(Directory.GetFiles(Path.Combine(_folder, "c1"))[0]);
        _truncated = Path.Combine(_folder, "c1", "0-truncated.png");
        File.WriteAllBytes(_truncated, png[..(png.Length / 2)]);
        _notAnImage = Path.Combine(_folder, "c0", "0-notes.png");
        File.WriteAllText(_notAnImage, "not an image\n");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static readonly Dictionary<string, JsonElement> Expected =
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(Path.Combine(Fixtures, "expected.json")))!;

    static ModelSession LeNet() => ModelSession.Load(Path.Combine(Fixtures, "lenet.onnx"), new ModelOptions { Device = "cpu" });

    void NamesBothFiles(IReadOnlyList<SkippedImage> skipped)
    {
        skipped.Select(s => s.Image).Should().BeEquivalentTo([_notAnImage, _truncated]);
        skipped.Single(s => s.Image == _truncated).Problem.Should().Contain(_truncated).And.Contain("truncated");
        skipped.Single(s => s.Image == _notAnImage).Problem.Should().Contain(_notAnImage).And.Contain("not a PNG, JPEG");
    }

    [Fact]
    public void Ablation_leaves_unreadable_images_out_and_names_them()
    {
        using var session = LeNet();
        var data = ImageFolderSet.Open(_folder);
        data.Count.Should().Be(17);
        var ablation = Expected["lenet"].GetProperty("cases")[0];
        int[] units = [.. ablation.GetProperty("units").EnumerateArray().Select(u => u.GetInt32())];

        var result = Ablator.Ablate(session, data, new AblationRequest { Layer = "conv2", Units = units, RandomControls = 0, BatchSize = 8 });

        result.Images.Should().Be(15);
        NamesBothFiles(result.SkippedImages);
        foreach (var (before, after) in ablation.GetProperty("before").EnumerateArray().Zip(ablation.GetProperty("after").EnumerateArray()))
        {
            var row = result.Classes.Single(c => c.ClassName == before.GetProperty("class").GetString());
            row.Images.Should().Be(5);
            row.Before.Should().BeApproximately(before.GetProperty("accuracy").GetDouble(), 1e-9);
            row.After.Should().BeApproximately(after.GetProperty("accuracy").GetDouble(), 1e-9);
            row.LogProbabilityAfter.Should().BeApproximately(after.GetProperty("logProbability").GetDouble(), 1e-4);
        }
    }

    [Fact]
    public void Ranking_and_unit_statistics_leave_unreadable_images_out()
    {
        using var session = LeNet();
        var data = ImageFolderSet.Open(_folder);
        var expected = Expected["lenet"].GetProperty("ranking");

        var ranking = Ablator.Rank(session, data, new RankingRequest { Layer = "conv2", Class = "c1", Top = 2, RandomDraws = 1 });
        ranking.Images.Should().Be(5);
        ranking.SkippedImages.Select(s => s.Image).Should().Equal(_truncated); // only the class's images are read
        ranking.BaseAccuracy.Should().BeApproximately(expected.GetProperty("accuracy").GetDouble(), 1e-9);
        foreach (var unit in expected.GetProperty("units").EnumerateArray())
            ranking.Units.Single(u => u.Unit == unit.GetProperty("unit").GetInt32()).LogProbabilityDrop
                .Should().BeApproximately(unit.GetProperty("logProbabilityDrop").GetDouble(), 1e-4);

        var stats = Ablator.SingleUnit(session, data, new SingleUnitRequest { Layer = "conv2", Unit = 3, Class = "c1", BatchSize = 4 });
        stats.InClass.Should().HaveCount(5);
        stats.Others.Should().HaveCount(10);
        NamesBothFiles(stats.SkippedImages);
    }

    [Fact]
    public void A_set_with_no_readable_image_is_a_bad_image_error()
    {
        foreach (string file in Directory.GetFiles(_folder, "*.png", SearchOption.AllDirectories))
            File.WriteAllBytes(file, [0x89, 0x50, 0x4E, 0x47]);
        using var session = LeNet();
        var data = ImageFolderSet.Open(_folder);

        var run = () => Ablator.Ablate(session, data, new AblationRequest { Layer = "conv2", Units = [1], RandomControls = 0 });

        run.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.BadImage)
            .WithMessage($"None of the 17 images of {_folder} to evaluate could be read; the first: Cannot decode image*");
    }
}
