using System.Text.Json;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// Activation maximisation, the hypothesis test, invariance and correspondence through the real daemon (<c>unitscope
/// serve</c> as a child process, the real engine, cache and pictures) on the sample SmallCNN and its images: results,
/// progress, each round's image as a partial result, the cache, cancellation (nothing cached), errors that name the
/// parameter, and the model predicting exactly as before.
/// </summary>
public class VisualizationRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    private static (int Width, int Height) Decode(string base64)
    {
        using var bitmap = SKBitmap.Decode(Convert.FromBase64String(base64));
        bitmap.Should().NotBeNull("a PNG");
        return (bitmap.Width, bitmap.Height);
    }

    [Fact]
    public async Task Visualize_hypothesis_invariance_and_correspondence_round_trip_and_leave_the_model_unchanged()
    {
        var root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "visualize-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = Path.Combine(root, "cache") });
        var client = daemon.Client;
        string Context() => $"\n--- daemon stderr ---\n{daemon.Stderr[^Math.Min(4000, daemon.Stderr.Length)..]}";
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, Capabilities: JsonSerializer.SerializeToElement(new { window = new { workDoneProgress = true } })), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);
            var image = RepoPaths.Get("samples", "images", "circle.png");
            var before = await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(model.ModelId, image), Slow);
            var conv = model.Layers.Last(l => l.OutputShape.Count == 3 && l.Kind == "ReLU");
            var (width, height) = (model.Input.Width, model.Input.Height);

            // Nothing cached yet.
            (await client.RequestAsync(Methods.Visualize, new VisualizeParams(model.ModelId, conv.Name, 1, Rounds: 3, Steps: 4, CachedOnly: true), Slow))
                .GetProperty("result").ValueKind.Should().Be(JsonValueKind.Null);

            // The image with each round's preview as a partial result, progress per step, the hypothesis test on it.
            var wd = JsonSerializer.SerializeToElement("visualize");
            var partial = JsonSerializer.SerializeToElement("visualize-partial");
            var result = await client.CallAsync<VisualizeResult>(Methods.Visualize,
                new VisualizeParams(model.ModelId, conv.Name, 1, Rounds: 3, Steps: 4, WorkDoneToken: wd, PartialResultToken: partial), Slow);
            result.Cached.Should().BeFalse();
            Decode(result.ImagePng).Should().Be((width, height), Context());
            result.RoundActivations.Should().HaveCount(3);
            result.Hypothesis.MeanActivations.Should().HaveCount(conv.Units);
            result.Hypothesis.MeanActivations[1].Should().BeApproximately(result.FinalActivation, 1e-4f);
            Decode(result.Hypothesis.ChartPng).Should().Be((result.Hypothesis.ChartWidth, result.Hypothesis.ChartHeight));
            var previews = client.ProgressValues(partial).Select(v => v.Deserialize<VisualizePreview>(ProtocolJson.Options)!).ToList();
            previews.Select(p => p.Round).Should().Equal(1, 2, 3);
            previews.Select(p => (p.Rounds, Decode(p.ImagePng))).Should().OnlyContain(p => p.Rounds == 3 && p.Item2.Width == width && p.Item2.Height == height);
            previews[^1].ImagePng.Should().Be(result.ImagePng, "the last round's image is the result");
            client.ProgressValues(wd).Should().Contain(v => v.GetProperty("kind").GetString() == "report"
                && v.GetProperty("message").GetString()!.StartsWith("optimising the image: "), Context());

            // Again: from the cache, the same bytes; cachedOnly finds it too.
            var again = await client.CallAsync<VisualizeResult>(Methods.Visualize, new VisualizeParams(model.ModelId, conv.Name, 1, Rounds: 3, Steps: 4), Slow);
            again.Cached.Should().BeTrue();
            again.ImagePng.Should().Be(result.ImagePng);
            (await client.CallAsync<VisualizeResult>(Methods.Visualize,
                new VisualizeParams(model.ModelId, conv.Name, 1, Rounds: 3, Steps: 4, CachedOnly: true), Slow)).ImagePng.Should().Be(result.ImagePng);

            // Cancelled mid-run: nothing cached.
            var (id, response) = await client.SendRequestAsync(Methods.Visualize,
                new VisualizeParams(model.ModelId, conv.Name, 2, Rounds: 40, Steps: 50, WorkDoneToken: JsonSerializer.SerializeToElement("cancelled")));
            await client.WaitForNotificationAsync(n => n.GetProperty("method").GetString() == Methods.Progress
                && n.GetProperty("params").GetProperty("token").GetString() == "cancelled"
                && n.GetProperty("params").GetProperty("value").GetProperty("kind").GetString() == "report", Slow);
            await client.NotifyAsync(Methods.CancelRequest, new { id });
            LspClient.ErrorOf(await response.WaitAsync(Slow))!.Code.Should().Be(ErrorCodes.RequestCancelled);
            (await client.RequestAsync(Methods.Visualize, new VisualizeParams(model.ModelId, conv.Name, 2, Rounds: 40, Steps: 50, CachedOnly: true), Slow))
                .GetProperty("result").ValueKind.Should().Be(JsonValueKind.Null, "a cancelled run stores nothing");

            // The hypothesis test on a real image.
            var test = await client.CallAsync<HypothesisTestResult>(Methods.HypothesisTest, new HypothesisTestParams(model.ModelId, conv.Name, 1, ImagePath: image), Slow);
            test.MeanActivations.Should().HaveCount(conv.Units);
            test.Rank.Should().Be(1 + test.MeanActivations.Count(v => v > test.MeanActivations[1]));

            // Invariance: the identity gives 0, each sweep one value per image, layer and value.
            var invariance = await client.CallAsync<InvarianceResult>(Methods.Invariance, new InvarianceParams(model.ModelId,
                ImagePaths: [image, RepoPaths.Get("samples", "images", "cross.png")], Translations: [-3, 0, 5], Rotations: [0, 90], Scales: [],
                WorkDoneToken: JsonSerializer.SerializeToElement("invariance")), Slow);
            invariance.Sweeps.Select(s => s.Transform).Should().Equal(TransformKind.Translation, TransformKind.Rotation);
            invariance.Images.Should().Equal("circle.png", "cross.png");
            invariance.Sweeps[0].Distances.Should().HaveCount(2).And.OnlyContain(image => image.Count == invariance.Layers.Count && image.All(l => l.Count == 3 && l[1] == 0));
            invariance.Sweeps[1].Probabilities.Should().OnlyContain(p => p.Count == 2 && p[0] >= 0 && p[0] <= 1);
            Decode(invariance.ChartPng).Should().Be((invariance.ChartWidth, invariance.ChartHeight));

            // Correspondence: the same box on two copies of one image gives Δ = 0.
            var boxes = Path.Combine(root, "boxes.json");
            File.WriteAllText(boxes, JsonSerializer.Serialize(new
            {
                images = new[]
                {
                    new { path = image, boxes = new Dictionary<string, int[]> { ["centre"] = [10, 10, 12, 12] } },
                    new { path = image, boxes = new Dictionary<string, int[]> { ["centre"] = [10, 10, 12, 12] } },
                },
            }));
            var correspondence = await client.CallAsync<CorrespondenceResult>(Methods.Correspondence, new CorrespondenceParams(model.ModelId, boxes, RandomDraws: 3), Slow);
            var part = correspondence.Parts.Should().ContainSingle().Subject;
            part.Part.Should().Be("centre");
            part.Layers.Should().OnlyContain(l => l.Delta == 0 && l.DeltaSum == 0);
            Decode(correspondence.ChartPng).Should().Be((correspondence.ChartWidth, correspondence.ChartHeight));

            // Errors name the parameter, and the daemon serves on.
            var outOfRange = await client.CallExpectingErrorAsync(Methods.Visualize, new VisualizeParams(model.ModelId, conv.Name, conv.Units), Slow);
            outOfRange.Code.Should().Be(ErrorCodes.UnitOutOfRange);
            var neuron = await client.CallExpectingErrorAsync(Methods.Visualize,
                new VisualizeParams(model.ModelId, model.Layers.Last().Name, 0, Objective: MaximizationObjective.Neuron), Slow);
            (neuron.Code, neuron.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("neuron objective"));
            var empty = await client.CallExpectingErrorAsync(Methods.Invariance,
                new InvarianceParams(model.ModelId, ImagePaths: [image], Translations: [width]), Slow);
            (empty.Code, empty.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("(translate)"));
            File.WriteAllText(boxes, JsonSerializer.Serialize(new
            {
                images = new[]
                {
                    new { path = image, boxes = new Dictionary<string, int[]> { ["eye"] = [10, 10, 12, 12] } },
                    new { path = image, boxes = new Dictionary<string, int[]> { ["eye"] = [width - 4, 0, 12, 12] } },
                },
            }));
            var outside = await client.CallExpectingErrorAsync(Methods.Correspondence, new CorrespondenceParams(model.ModelId, boxes), Slow);
            (outside.Code, outside.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("'eye'") && e.Message.Contains("outside"));

            // The model in memory is the same. Not compared bit for bit: another test's gradient pass may switch
            // oneDNN off process-wide between the two predictions (Engine's OneDnnConvolutions), which moves the
            // last bits; a changed weight or a hook left behind moves the logits far more than this.
            var after = await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(model.ModelId, image), Slow);
            after.Logits.Should().Equal(before.Logits, (a, b) => Math.Abs(a - b) <= 1e-5 * (1 + Math.Abs(b)));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
