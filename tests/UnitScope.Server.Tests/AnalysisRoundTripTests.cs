using System.Text.Json;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// Occlusion and ablation through the real daemon (<c>unitscope serve</c> as a child process, the real
/// engine, cache and pictures): the sample SmallCNN (circle, square, triangle, cross) on its sample
/// images, and an ImageFolder made of them. Checks the shapes and pictures of every result, progress,
/// partial results, the cache, errors, and that the model predicts exactly as before after ablations.
/// </summary>
public class AnalysisRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);
    private static readonly string[] Classes = ["circle", "square", "triangle", "cross"];

    private static (int Width, int Height) Decode(string base64)
    {
        using var bitmap = SKBitmap.Decode(Convert.FromBase64String(base64));
        bitmap.Should().NotBeNull("a PNG");
        return (bitmap.Width, bitmap.Height);
    }

    [Fact]
    public async Task Occlude_ablate_rank_and_single_unit_stats_on_the_sample_model_leave_it_unchanged()
    {
        var root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "analysis-" + Guid.NewGuid().ToString("N"));
        var cache = Path.Combine(root, "cache");
        var folder = Path.Combine(root, "eval");
        foreach (var name in Classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            // Two copies per class: the sample image, once as is and once under another name.
            File.Copy(RepoPaths.Get("samples", "images", $"{name}.png"), Path.Combine(folder, name, "a.png"));
            File.Copy(RepoPaths.Get("samples", "images", $"{name}.png"), Path.Combine(folder, name, "b.png"));
        }
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = cache });
        var client = daemon.Client;
        string Context() => $"\n--- daemon stderr ---\n{daemon.Stderr[^Math.Min(4000, daemon.Stderr.Length)..]}";
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, Capabilities: JsonSerializer.SerializeToElement(new { window = new { workDoneProgress = true } })), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);
            model.ClassNames.Should().Equal(Classes);
            var image = RepoPaths.Get("samples", "images", "circle.png");
            var before = await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(model.ModelId, image), Slow);
            var conv = model.Layers.Last(l => l.OutputShape.Count == 3 && l.Kind == "Conv2d");

            // Occlusion: figure 7's maps, each a PNG at the input's size; then again from the cache.
            var wd = JsonSerializer.SerializeToElement("occlude");
            var side = model.Input.Width;
            var occlusion = await client.CallAsync<OccludeResult>(Methods.Occlude,
                new OccludeParams(model.ModelId, side / 4, side / 8, ImagePath: image, WorkDoneToken: wd), Slow);
            occlusion.Cached.Should().BeFalse();
            occlusion.ClassNames.Should().Equal(Classes);
            occlusion.TargetClass.Should().Be(occlusion.PredictedClass);
            occlusion.Rows.Should().Be(7);
            occlusion.Probability.Values.Should().HaveCount(occlusion.Rows * occlusion.Columns).And.OnlyContain(p => p >= 0 && p <= 1);
            occlusion.MostProbable.Classes.Should().HaveCount(occlusion.Rows * occlusion.Columns);
            occlusion.MostProbable.Legend.Sum(l => l.Cells).Should().Be(occlusion.Rows * occlusion.Columns);
            // No layer asked: the engine's default, a layer with spatial maps.
            model.Layers.Where(l => l.OutputShape.Count == 3).Select(l => l.Name).Should().Contain(occlusion.Activity!.Layer);
            occlusion.Activity.Strongest.Should().BeTrue();
            occlusion.Fill.Should().Equal(model.Input.Mean);
            foreach (var png in new[] { occlusion.ImagePng, occlusion.Probability.HeatmapPng, occlusion.MostProbable.HeatmapPng, occlusion.Activity.Map.HeatmapPng })
                Decode(png).Should().Be((occlusion.ImageWidth, occlusion.ImageHeight), Context());
            Decode(occlusion.CompositePng).Width.Should().BeGreaterThan(3 * occlusion.ImageWidth);
            var progress = client.ProgressValues(wd);
            progress.First().GetProperty("kind").GetString().Should().Be("begin");
            progress.Last().GetProperty("kind").GetString().Should().Be("end");
            progress.Should().Contain(v => v.GetProperty("kind").GetString() == "report"
                                           && v.GetProperty("message").GetString()!.StartsWith("occluding: "));
            var again = await client.CallAsync<OccludeResult>(Methods.Occlude,
                new OccludeParams(model.ModelId, side / 4, side / 8, ImagePath: image, BatchSize: 3), Slow);
            again.Cached.Should().BeTrue("the batch size is not part of the key");
            again.Probability.Values.Should().Equal(occlusion.Probability.Values);

            // Ablation on the image folder: every class, the control, the chart.
            var ablation = await client.CallAsync<AblateResult>(Methods.Ablate,
                new AblateParams(model.ModelId, conv.Name, [0, 1, 2], folder, WorkDoneToken: JsonSerializer.SerializeToElement("ablate")), Slow);
            ablation.EvaluationSet.Should().Be(folder);
            ablation.ImageCount.Should().Be(8);
            ablation.Classes.Select(c => c.Class).Should().BeEquivalentTo([0, 1, 2, 3]);
            ablation.Classes.Select(c => c.After - c.Before).Should().BeInAscendingOrder();
            ablation.Classes.Should().OnlyContain(c => c.Images == 2 && c.ControlAfter != null && c.Label == Classes[c.Class]);
            ablation.Control!.UnitSets.Should().HaveCount(3).And.OnlyContain(s => s.Count == 3 && !s.Intersect(new[] { 0, 1, 2 }).Any());
            Decode(ablation.ChartPng).Should().Be((ablation.ChartWidth, ablation.ChartHeight));

            // Every unit alone for "circle", with partial results; then the curve.
            var partial = JsonSerializer.SerializeToElement("rank-partial");
            var ranking = await client.CallAsync<RankUnitsResult>(Methods.RankUnits,
                new RankUnitsParams(model.ModelId, conv.Name, 0, RankMetric.LogProbability, Top: 4, RandomDraws: 2, EvaluationSet: folder,
                    PartialResultToken: partial), Slow);
            ranking.Units.Should().BeEmpty("they came as partial results");
            var measured = client.ProgressValues(partial).SelectMany(v => v.Deserialize<RankUnitsResult>(ProtocolJson.Options)!.Units).ToList();
            measured.Select(u => u.Unit).Should().BeEquivalentTo(Enumerable.Range(0, conv.Units), Context());
            ranking.Curve!.Select(p => p.K).Should().Equal(1, 2, 3, 4);
            ranking.ImageCount.Should().Be(2);
            ranking.ClassLabel.Should().Be("circle");
            Decode(ranking.CurvePng!).Width.Should().BeGreaterThan(100);
            var whole = await client.CallAsync<RankUnitsResult>(Methods.RankUnits,
                new RankUnitsParams(model.ModelId, conv.Name, 0, RankMetric.LogProbability, Top: 4, RandomDraws: 2, EvaluationSet: folder), Slow);
            whole.Units.Should().HaveCount(conv.Units).And.BeInDescendingOrder(u => u.Drop);
            whole.Units.Should().OnlyContain(u => u.After != null && Math.Abs(u.After.Value - (whole.Before - u.Drop)) < 1e-9);

            // One unit as a classifier of "square".
            var stats = await client.CallAsync<UnitClassStatsResult>(Methods.UnitClassStats,
                new UnitClassStatsParams(model.ModelId, conv.Name, whole.Units[0].Unit, 1, folder), Slow);
            (stats.InClass.Count, stats.Rest.Count).Should().Be((2, 6));
            stats.InClass.Min.Should().BeLessThanOrEqualTo(stats.InClass.Median).And.BeLessThanOrEqualTo(stats.InClass.Max);
            stats.Auc.Should().BeInRange(0, 1);
            Decode(stats.JitterPng).Should().Be((stats.JitterWidth, stats.JitterHeight));

            // The model in memory is the same. Not compared bit for bit: another test's gradient pass may switch
            // oneDNN off process-wide between the two predictions (Engine's OneDnnConvolutions), which moves the
            // last bits; a changed weight or a hook left behind moves the logits far more than this.
            var after = await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(model.ModelId, image), Slow);
            after.Logits.Should().Equal(before.Logits, (a, b) => Math.Abs(a - b) <= 1e-5 * (1 + Math.Abs(b)));

            // Errors, and the daemon serves on.
            (await client.CallExpectingErrorAsync(Methods.Occlude, new OccludeParams(model.ModelId, 4, 4, ImagePath: Path.Combine(root, "nope.png")), Slow))
                .Code.Should().Be(ErrorCodes.FileNotFound);
            var notAFolder = await client.CallExpectingErrorAsync(Methods.Ablate, new AblateParams(model.ModelId, conv.Name, [0], RepoPaths.Get("samples")), Slow);
            notAFolder.Code.Should().Be(ErrorCodes.ClassMismatch, notAFolder.Message); // its sub-folder 'images' is no class of the model
            (await client.CallExpectingErrorAsync(Methods.Ablate, new AblateParams(model.ModelId, conv.Name, [conv.Units], folder), Slow))
                .Code.Should().Be(ErrorCodes.UnitOutOfRange);

            (await client.RequestAsync(Methods.Shutdown, null, Slow)).TryGetProperty("error", out _).Should().BeFalse();
            await client.NotifyAsync(Methods.Exit, null);
            (await daemon.WaitForExitAsync(Slow)).Should().Be(0, Context());
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
