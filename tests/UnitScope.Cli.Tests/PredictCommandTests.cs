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

    [Fact]
    public void Max_image_pixels_refuses_a_larger_image_before_decoding_it()
    {
        // samples/images are 64×64: 4096 pixels.
        var refused = Cli.Run(["predict", Cli.Repo("samples/smallcnn.pth"), "--image", Cli.Repo("samples/images/cross.png"), "--max-image-pixels", "4095"]);
        refused.Exit.Should().Be(2, refused.ToString());
        refused.Err.Should().Contain("4,096 pixels, more than the limit of 4,095");
        var allowed = Cli.Run(["predict", Cli.Repo("samples/smallcnn.pth"), "--image", Cli.Repo("samples/images/cross.png"), "--max-image-pixels", "4096"]);
        allowed.Exit.Should().Be(0, allowed.ToString());
    }
    [Fact]
    public void A_one_output_model_shows_its_score_not_class_0_at_100_percent()
    {
        // squeeze_if.onnx: a DCGAN discriminator's ending, one sigmoid per image.
        string[] args = ["predict", Cli.Repo("tests/fixtures/onnx/squeeze_if.onnx"), "--image", Cli.Repo("samples/images/circle.png"), "--input-size", "8", "--device", "cpu"];
        var json = Cli.Run([.. args, "--json"]);
        json.Exit.Should().Be(0, json.ToString());
        float score = json.Json.GetProperty("score").GetSingle();
        json.Json.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).Should().Equal(score);
        json.Json.GetProperty("top").GetArrayLength().Should().Be(0);
        score.Should().BeInRange(0f, 1f);

        var text = Cli.Run(args);
        text.Exit.Should().Be(0, text.ToString());
        text.Out.Should().Contain($"output {score.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)}").And.Contain("a score")
            .And.NotContain("100.00%");
    }

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
    public void The_grey_default_normalisation_is_said_on_stderr_and_in_the_json()
    {
        var c = ReferenceCase.Get("mnist");
        var run = Cli.Run("predict", Cli.Repo(c.Model), "--image", Cli.Repo(c.Image), "--input-size", "28", "--json", "--device", "cpu");
        run.Exit.Should().Be(0, run.ToString());
        run.Err.Should().Contain("Warning: This 1-channel model is normalised with mean 0.449 and std 0.226");
        var p = run.Json.GetProperty("preprocessing");
        (p.GetProperty("meanSource").GetString(), p.GetProperty("stdSource").GetString()).Should().Be(("imagenetGray", "imagenetGray"));
        p.GetProperty("mean")[0].GetSingle().Should().Be(0.449f);
        p.GetProperty("summary").GetString().Should().Contain("ImageNet's averaged for a 1-channel model");
        p.GetProperty("warnings").GetArrayLength().Should().Be(1);

        var given = Cli.Run(["predict", Cli.Repo(c.Model), "--image", Cli.Repo(c.Image), "--json", .. c.ModelArgs]);
        given.Err.Should().NotContain("Warning:").And.Contain("as given");
        given.Json.GetProperty("preprocessing").GetProperty("meanSource").GetString().Should().Be("options");
    }

    [Fact]
    public void Table_lists_the_top_classes()
    {
        var run = Cli.Run("predict", Cli.Repo("samples/smallcnn.pth"), "--image", Cli.Repo("samples/images/square.png"), "--top", "2", "--device", "cpu");
        run.Exit.Should().Be(0, run.ToString());
        run.Out.Should().Contain("square").And.Contain("%");
    }
}

/// <summary>
/// Images that need resizing give torchvision's logits: the fixture models on a photo and a digit that torchvision's
/// Resize (and Resize + CenterCrop) sized (tests/fixtures/images/resize/cases.json, make_resize_fixtures.py). With
/// Skia's resampling the logits were off by up to a few percent of their range.
/// </summary>
public class ResizedPredictionTests
{
    public static TheoryData<int> Cases()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Reference.GetArrayLength(); i++) data.Add(i);
        return data;
    }

    static readonly JsonElement Reference =
        JsonDocument.Parse(File.ReadAllText(Cli.Repo("tests/fixtures/images/resize/cases.json"))).RootElement.GetProperty("logits");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Logits_of_a_resized_image_match_torchvision(int index)
    {
        var c = Reference[index];
        var flags = c.GetProperty("flags");
        var args = new List<string> { "predict", Cli.Repo(c.GetProperty("model").GetString()!), "--json", "--device", "cpu",
            "--image", Cli.Repo("tests/fixtures/images/" + (c.GetProperty("source").GetString() == "digit_28.png" ? "" : "resize/") + c.GetProperty("source").GetString()),
            "--mean", c.GetProperty("mean").GetString()!, "--std", c.GetProperty("std").GetString()! };
        foreach (var (flag, option) in (ReadOnlySpan<(string, string)>)[("inputSize", "--input-size"), ("resize", "--resize"), ("crop", "--crop")])
            if (flags.TryGetProperty(flag, out var v)) args.AddRange([option, v.ToString()]);

        var run = Cli.Run([.. args]);
        run.Exit.Should().Be(0, run.ToString());
        var logits = run.Json.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        var expected = c.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        float range = expected.Max() - expected.Min(), worst = logits.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        worst.Should().BeLessThan(1e-4f * Math.Max(1, range), "logits within float rounding of torchvision's (range {0})", range);
    }
}
