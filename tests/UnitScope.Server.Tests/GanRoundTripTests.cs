using System.Text.Json;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// <c>unitscope/ganDissect</c> and <c>unitscope/ganEdit</c> through the real daemon (<c>unitscope serve</c> as a child
/// process, the real engine and cache) on the PyTorch-made DCGAN fixture with the segmenter fixture and a label file:
/// results with their pictures, progress, the cache, cancellation, and errors that name the problem.
/// </summary>
public class GanRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    private static (int Width, int Height) Decode(string base64)
    {
        using var bitmap = SKBitmap.Decode(Convert.FromBase64String(base64));
        bitmap.Should().NotBeNull("a PNG");
        return (bitmap.Width, bitmap.Height);
    }

    [Fact]
    public async Task Gan_dissect_and_edit_round_trip_with_progress_cache_cancel_and_errors()
    {
        var root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "gan-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        string segmenter = Path.Combine(root, "seg.pth");
        File.Copy(RepoPaths.Get("tests", "fixtures", "gan", "segmenter_odd.pth"), segmenter);
        File.WriteAllLines(Path.Combine(root, "seg.segments.txt"),
            ["shade\t-", "shade\ts1", "shade\ts2", "shade\ts3", "shade\ts4", "part\t-", "part\tp1", "part\tp2", "part\tp3"]);
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = Path.Combine(root, "cache") });
        var client = daemon.Client;
        string Context() => $"\n--- daemon stderr ---\n{daemon.Stderr[^Math.Min(4000, daemon.Stderr.Length)..]}";
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, Capabilities: JsonSerializer.SerializeToElement(new { window = new { workDoneProgress = true } })), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("tests", "fixtures", "gan", "dcgan_odd.pth")), Slow);
            model.Architecture.Should().Be("dcgan");
            model.Generator.Should().BeTrue("the panels offer the GAN analyses by this flag");

            var wd = JsonSerializer.SerializeToElement("gan");
            var result = await client.CallAsync<GanDissectResult>(Methods.GanDissect,
                new GanDissectParams(model.ModelId, "main.5", segmenter, Samples: 40, BatchSize: 9, WorkDoneToken: wd), Slow);
            result.Cached.Should().BeFalse(Context());
            result.Units.Should().HaveCount(12);
            result.SampleCount.Should().Be(40);
            (result.ImageWidth, result.ImageHeight).Should().Be((16, 16));
            result.Samples.Should().HaveCount(16);
            Decode(result.Samples[0].ImagePng).Should().Be((16, 16));
            Decode(result.Samples[0].SegmentationPng).Should().Be((16, 16));
            result.SegmentedCategory.Should().Be("shade", "the first category when there is no object category");
            Decode(result.SummaryPng).Width.Should().BeGreaterThan(100);
            result.Concepts.Should().OnlyContain(c => c.Units.Count == c.Ious.Count && c.Ious.Zip(c.Ious.Skip(1)).All(p => p.First >= p.Second));
            client.ProgressValues(wd).Should().Contain(v => v.GetProperty("kind").GetString() == "report"
                && v.GetProperty("message").GetString()!.StartsWith("threshold pass"), Context());

            var again = await client.CallAsync<GanDissectResult>(Methods.GanDissect, new GanDissectParams(model.ModelId, "main.5", segmenter, Samples: 40), Slow);
            again.Cached.Should().BeTrue("batch size is not part of the key");
            again.Units.Should().BeEquivalentTo(result.Units);

            var concept = result.Concepts.OrderByDescending(c => c.Units.Count).First();
            var edit = await client.CallAsync<GanEditResult>(Methods.GanEdit, new GanEditParams(model.ModelId, "main.5", concept.Concept, Units: 2, Samples: 20,
                RandomDraws: 2, Region: new GanRegion(0, 0, 8, 8), Examples: 3, SegmenterPath: segmenter, DissectSamples: 40), Slow);
            edit.Ablation.TopUnits.Should().Equal(concept.Units.Take(2));
            edit.Ablation.AreaRandomAblated.Should().HaveCount(2);
            edit.Ablation.Examples.Should().HaveCount(3);
            edit.Insertion!.LayerRegion.Should().Be(new GanRegion(0, 0, 4, 4));
            Decode(edit.Insertion.Examples[0].EditedPng).Should().Be((16, 16));

            // Cancelled mid-run: an error answer, and the daemon serves on.
            var (id, response) = await client.SendRequestAsync(Methods.GanDissect,
                new GanDissectParams(model.ModelId, "main.2", segmenter, Samples: 100000, WorkDoneToken: JsonSerializer.SerializeToElement("cancelled")));
            await client.WaitForNotificationAsync(n => n.GetProperty("method").GetString() == Methods.Progress
                && n.GetProperty("params").GetProperty("token").GetString() == "cancelled"
                && n.GetProperty("params").GetProperty("value").GetProperty("kind").GetString() == "report", Slow);
            await client.NotifyAsync(Methods.CancelRequest, new { id });
            LspClient.ErrorOf(await response.WaitAsync(Slow))!.Code.Should().Be(ErrorCodes.RequestCancelled);

            // Errors name the problem.
            var classifier = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);
            classifier.Generator.Should().BeFalse();
            var notGenerator = LspClient.ErrorOf(await client.RequestAsync(Methods.GanDissect, new GanDissectParams(classifier.ModelId, "conv4", segmenter), Slow));
            notGenerator!.Message.Should().Contain("not an image generator");
            var unknown = LspClient.ErrorOf(await client.RequestAsync(Methods.GanEdit,
                new GanEditParams(model.ModelId, "main.5", "unicorn", SegmenterPath: segmenter, DissectSamples: 40), Slow));
            unknown!.Message.Should().Contain("'unicorn'");
            var noLabels = LspClient.ErrorOf(await client.RequestAsync(Methods.GanDissect,
                new GanDissectParams(model.ModelId, "main.5", Path.Combine(root, "missing.pth")), Slow));
            noLabels!.Message.Should().Contain("missing.pth");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
