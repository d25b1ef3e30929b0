using System.Text.Json;

namespace UnitScope.Cli.Tests;

public class PredictCommandTests
{
    /// <summary>predict --json on a fixture model vs PyTorch's logits for the same PNG.</summary>
    static void Check(ReferenceCase c, int top)
    {
        var run = Cli.Run(["predict", Cli.Repo(c.Model), "--image", Cli.Repo(c.Image), "--top", top.ToString(), "--json", .. c.ModelArgs]);
        run.Exit.Should().Be(0, run.ToString());
        var json = run.Json;

        var logits = json.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var probabilities = json.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        logits.Should().HaveCount(c.Logits.Length);
        for (int i = 0; i < logits.Length; i++)
        {
            logits[i].Should().BeApproximately(c.Logits[i], 1e-4f, "logit {0}", i);
            probabilities[i].Should().BeApproximately(c.Probabilities[i], 1e-5f, "probability {0}", i);
        }
        probabilities.Sum().Should().BeApproximately(1f, 1e-5f);

        var listed = json.GetProperty("top").EnumerateArray().ToList();
        listed.Should().HaveCount(top);
        var expectedOrder = c.Probabilities.Select((p, i) => (p, i)).OrderByDescending(t => t.p).Take(top).Select(t => t.i);
        listed.Select(t => t.GetProperty("index").GetInt32()).Should().Equal(expectedOrder);
        listed.Select(t => t.GetProperty("probability").GetSingle()).Should().BeInDescendingOrder();
    }

    [Fact] public void Rgb_model_matches_pytorch() => Check(ReferenceCase.Get("cifar"), 5);
    [Fact] public void Gray_model_with_one_mean_and_std_matches_pytorch() => Check(ReferenceCase.Get("mnist"), 3);

    [Fact]
    public void Sample_model_matches_pytorch_on_every_sample_image()
    {
        var reference = JsonDocument.Parse(File.ReadAllText(Cli.Repo("tests/fixtures/models/sample_references.json"))).RootElement;
        foreach (var entry in reference.GetProperty("images").EnumerateArray())
        {
            var image = entry.GetProperty("image").GetString()!;
            var run = Cli.Run("predict", Cli.Repo("samples/smallcnn.pth"), "--image", Cli.Repo("samples/images/" + image), "--json", "--device", "cpu");
            run.Exit.Should().Be(0, run.ToString());
            var logits = run.Json.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var expected = entry.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            for (int i = 0; i < expected.Length; i++)
                logits[i].Should().BeApproximately(expected[i], 1e-3f, "{0} logit {1}", image, i);
            // Sample images are named after their class.
            run.Json.GetProperty("top")[0].GetProperty("label").GetString().Should().Be(Path.GetFileNameWithoutExtension(image));
        }
    }

    [Fact]
    public void Table_lists_the_top_classes()
    {
        var run = Cli.Run("predict", Cli.Repo("samples/smallcnn.pth"), "--image", Cli.Repo("samples/images/square.png"), "--top", "2", "--device", "cpu");
        run.Exit.Should().Be(0, run.ToString());
        run.Out.Should().Contain("square").And.Contain("%");
    }
}
