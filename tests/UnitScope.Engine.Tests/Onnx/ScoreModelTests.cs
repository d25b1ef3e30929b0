using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Datasets;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Onnx;

/// <summary>
/// A model with one output (squeeze_if: a DCGAN discriminator's ending, one sigmoid per image) is a score, not a
/// class: predict shows the value (not "class 0, 100%", the softmax of one number), occlusion follows the value
/// (the softmax would be 1 at every position), and ablation, which counts right classifications, says why it cannot.
/// </summary>
public class ScoreModelTests : IDisposable
{
    readonly ModelSession _session = ModelSession.Load(OnnxFixtures.Model("squeeze_if"), new ModelOptions { Device = "cpu", InputHeight = 8, InputWidth = 8 });
    readonly RgbImage _image;

    public ScoreModelTests() =>
        _image = _session.SizeImage(ImageFile.Load(Path.Combine(ModelFixtures.RepoRoot, "samples", "images", "circle.png")));

    public void Dispose() => _session.Dispose();

    [Fact]
    public void Predict_gives_the_output_as_a_score()
    {
        var prediction = _session.Predict(_image);
        prediction.Score.Should().NotBeNull().And.Be(prediction.Logits.Single());
        prediction.Score!.Value.Should().BeInRange(0f, 1f, "the discriminator ends in a sigmoid").And.NotBe(1f);
        prediction.Probabilities.Should().BeEmpty();
        prediction.Top.Should().BeEmpty("one output names no class to rank");
    }

    [Fact]
    public void Occlusion_follows_the_score()
    {
        var result = Occluder.Run(_session, _image, new OcclusionOptions { Size = 4, Stride = 2 });
        result.BaseTargetProbability.Should().Be(_session.Predict(_image).Score!.Value);
        result.TargetProbability.Distinct().Should().HaveCountGreaterThan(1, "covering parts of the image moves the score");
        result.TargetProbability.Should().OnlyContain(v => v > 0f && v < 1f);
    }

    [Fact]
    public void Ablation_says_a_score_has_no_classes_to_count()
    {
        using var temp = new TempFolder();
        foreach (string c in (string[])["real", "fake"])
        {
            Directory.CreateDirectory(Path.Combine(temp.Path, c));
            File.Copy(Path.Combine(ModelFixtures.RepoRoot, "samples", "images", "circle.png"), Path.Combine(temp.Path, c, "x.png"));
        }
        var set = ImageFolderSet.Open(temp.Path);
        var map = () => EvaluationSet.MapClasses(set, _session.ClassNames);
        map.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument
            && e.Message.Contains("one output: a score") && e.Message.Contains("classified right"));
    }
}
