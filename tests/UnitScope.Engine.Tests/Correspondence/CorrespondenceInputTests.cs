using System.Text.Json;
using UnitScope.Engine.Analysis.Correspondence;
using UnitScope.Engine.Analysis.Invariance;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Correspondence;

/// <summary>
/// The boxes file and the checks of correspondence and invariance: each bad input is an error that names what is wrong
/// (the image and the part, the sweep), raised before anything runs. On a small zoo model with untrained weights.
/// </summary>
public sealed class CorrespondenceInputTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("unitscope-boxes-").FullName;
    readonly ModelSession _session = ModelSession.Load(ModelFixtures.Checkpoint("vgg16_small"), new ModelOptions { Device = "cpu" });

    public void Dispose()
    {
        _session.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    static RgbImage Image(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, 3, pixels);
    }

    string WriteImage(string name, RgbImage image)
    {
        string path = Path.Combine(_dir, name);
        using var bitmap = ImageResize.ToBitmap(image);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    string WriteBoxes(object content)
    {
        string path = Path.Combine(_dir, "boxes.json");
        File.WriteAllText(path, content as string ?? JsonSerializer.Serialize(content));
        return path;
    }

    [Fact]
    public void The_boxes_file_gives_each_image_with_its_boxes_relative_paths_from_its_folder()
    {
        WriteImage("a.png", Image(40, 30, 1));
        WriteImage("b.png", Image(25, 33, 2));
        var images = PartBoxesFile.Read(WriteBoxes(new
        {
            images = new object[]
            {
                new { path = "a.png", boxes = new Dictionary<string, int[]> { ["eye"] = [1, 2, 3, 4], ["nose"] = [10, 11, 5, 6] } },
                new { path = "b.png", boxes = new Dictionary<string, int[]> { ["eye"] = [0, 0, 25, 33] } },
            },
        }));
        images.Select(i => i.Name).Should().Equal("a.png", "b.png");
        images[0].Image.Width.Should().Be(40);
        images[0].Parts["nose"].Should().Be(new Box(10, 11, 5, 6));
        images[1].Parts.Should().ContainSingle();
    }

    [Theory]
    [InlineData("{\"images\": 3}", "\"images\" array")]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"images\": [{\"boxes\": {}}]}", "no \"path\"")]
    [InlineData("{\"images\": [{\"path\": \"a.png\", \"boxes\": {\"eye\": [1, 2, 3]}}]}", "'eye' must be four whole numbers")]
    [InlineData("{\"images\": [{\"path\": \"a.png\", \"boxes\": {\"eye\": [1, 2.5, 3, 4]}}]}", "'eye' must be four whole numbers")]
    public void A_malformed_boxes_file_is_refused_naming_the_problem(string content, string named)
    {
        WriteImage("a.png", Image(8, 8, 1));
        var act = () => PartBoxesFile.Read(WriteBoxes(content));
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument && e.Message.Contains(named));
    }

    [Fact]
    public void A_missing_image_is_file_not_found()
    {
        var act = () => PartBoxesFile.Read(WriteBoxes(new { images = new[] { new { path = "missing.png" } } }));
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.FileNotFound && e.Message.Contains("missing.png"));
    }

    static PartImage With(string name, RgbImage image, params (string Part, Box Box)[] boxes) =>
        new(name, image, boxes.ToDictionary(b => b.Part, b => b.Box));

    [Theory]
    [InlineData(30, 0, 11, 10, "outside")]
    [InlineData(-1, 0, 5, 5, "outside")]
    [InlineData(0, 25, 5, 6, "outside")]
    [InlineData(3, 3, 0, 5, "empty")]
    public void A_box_outside_its_image_or_empty_is_refused_naming_the_image_and_the_part(int x, int y, int w, int h, string problem)
    {
        var images = new[]
        {
            With("first.png", Image(40, 30, 1), ("eye", new Box(1, 1, 5, 5))),
            With("second.png", Image(40, 30, 2), ("eye", new Box(x, y, w, h))),
        };
        var act = () => CorrespondenceAnalysis.Run(_session, images);
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument
            && e.Message.Contains("second.png") && e.Message.Contains("'eye'") && e.Message.Contains(problem));
    }

    [Fact]
    public void A_part_in_one_image_or_a_single_image_is_refused()
    {
        var one = () => CorrespondenceAnalysis.Run(_session, [With("only.png", Image(20, 20, 1), ("eye", new Box(1, 1, 5, 5)))]);
        one.Should().Throw<UnitScopeException>().Where(e => e.Message.Contains("at least 2 images"));
        var lonely = () => CorrespondenceAnalysis.Run(_session,
        [
            With("a.png", Image(20, 20, 1), ("eye", new Box(1, 1, 5, 5)), ("nose", new Box(2, 2, 3, 3))),
            With("b.png", Image(20, 20, 2), ("eye", new Box(1, 1, 5, 5))),
        ]);
        lonely.Should().Throw<UnitScopeException>().Where(e => e.Message.Contains("'nose'") && e.Message.Contains("only one image (a.png)"));
    }

    [Fact]
    public void A_sweep_that_leaves_the_image_empty_is_refused_before_anything_runs()
    {
        int side = _session.Input.Height;
        var image = Image(side, side, 3);
        var shift = () => InvarianceAnalysis.Run(_session, [image], new InvarianceOptions { Translations = [0, side], Rotations = [], Scales = [] });
        shift.Should().Throw<UnitScopeException>().Where(e => e.Message.Contains("(translate)") && e.Message.Contains("empty"));
        var shrink = () => InvarianceAnalysis.Run(_session, [image], new InvarianceOptions { Scales = [1, 0.5 / side] });
        shrink.Should().Throw<UnitScopeException>().Where(e => e.Message.Contains("(scale)") && e.Message.Contains("empty"));
        var none = () => InvarianceAnalysis.Run(_session, [image], new InvarianceOptions { Translations = [], Rotations = [], Scales = [] });
        none.Should().Throw<UnitScopeException>().Where(e => e.Message.Contains("Every sweep"));
        var layer = () => InvarianceAnalysis.Run(_session, [image], new InvarianceOptions { Layers = ["nope"] });
        layer.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.UnknownLayer);
    }
}
