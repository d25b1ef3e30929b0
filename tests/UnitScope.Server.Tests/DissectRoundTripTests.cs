using System.Text.Json;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// Dissection through the real daemon (<c>unitscope serve</c> as a child process, the real engine,
/// store and unit cards): the sample SmallCNN dissected on the tiny Broden fixture
/// (tests/fixtures/broden_mini) with a cache folder of its own.
/// </summary>
public class DissectRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Dissect_a_sample_model_over_stdio_with_progress_partial_results_cache_and_cards()
    {
        var cache = Path.Combine(Path.GetTempPath(), "unitscope-tests", "cache-" + Guid.NewGuid().ToString("N"));
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = cache });
        var client = daemon.Client;
        string Context() => $"\n--- daemon stderr ---\n{daemon.Stderr[^Math.Min(4000, daemon.Stderr.Length)..]}";
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, Capabilities: JsonSerializer.SerializeToElement(new { window = new { workDoneProgress = true } })), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);
            var broden = RepoPaths.Get("tests", "fixtures", "broden_mini");

            // Hover before: nothing is dissected (the probe set does not even exist in this cache).
            const string uri = "file:///work/probe.py";
            await client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(uri, "python", 1, "y = model.conv3(x)")));
            var hover = await client.CallAsync<Hover?>(Methods.Hover, new HoverParams(new TextDocumentIdentifier(uri), new Position(0, 12)), Slow);
            hover!.Contents.Value.Should().Contain("Not dissected yet — [Dissect conv3](command:unitscope.dissectLayer?", Context());

            // Dissect two layers with client tokens.
            var workDone = JsonSerializer.SerializeToElement("wd");
            var partial = JsonSerializer.SerializeToElement("pr");
            var result = await client.CallAsync<DissectResult>(Methods.Dissect,
                new DissectParams(model.ModelId, ["conv3", "conv4"], broden, new DissectionOptions(MaxImages: 40, BatchSize: 2, TopImages: 2), workDone, partial), Slow);
            result.Layers.Should().BeEmpty("everything came as partial results");
            var layers = client.ProgressValues(partial).SelectMany(v => v.Deserialize<DissectResult>(ProtocolJson.Options)!.Layers).ToList();
            layers.Select(l => l.Layer).Should().Equal(["conv3", "conv4"], Context());
            var conv3 = layers[0];
            conv3.CheckpointHash.Should().Be(model.CheckpointHash);
            conv3.Dataset.Should().Be(broden);
            conv3.ImageCount.Should().Be(3);
            conv3.Options.MaxImages.Should().BeNull("40 ≥ the dataset's 3 images means all of them");
            conv3.Units.Should().HaveCount(model.Layers.Single(l => l.Name == "conv3").Units);
            conv3.Units.Should().OnlyContain(u => u.TopImages.Count == 2);
            conv3.Categories.Select(c => c.Name).Should().Contain(["color", "object", "part", "material", "scene", "texture"]);
            conv3.Categories.Should().OnlyContain(c => c.Color.StartsWith('#') && c.Color.Length == 7);
            conv3.LabelledByCategory.Sum(c => c.Units).Should().Be(conv3.LabelledUnits);

            var progress = client.ProgressValues(workDone);
            progress.First().GetProperty("kind").GetString().Should().Be("begin");
            progress.Last().GetProperty("kind").GetString().Should().Be("end");
            progress.Last().GetProperty("message").GetString().Should().Contain("conv3: ").And.Contain("units labelled");
            progress.Where(v => v.GetProperty("kind").GetString() == "report").Select(v => v.GetProperty("message").GetString())
                .Should().Contain(m => m!.StartsWith("conv3, conv4: threshold pass")).And.Contain(m => m!.StartsWith("conv4: IoU pass"));

            // Again: from the cache, even with another batch size; the lookups find it.
            var again = await client.CallAsync<DissectResult>(Methods.Dissect,
                new DissectParams(model.ModelId, ["conv4"], broden, new DissectionOptions(TopImages: 2, BatchSize: 3)), Slow);
            again.Layers.Single().Units.Should().BeEquivalentTo(layers[1].Units);
            daemon.Stderr.Split('\n').Count(l => l.Contains("dissect conv")).Should().Be(1, "only the first request computed anything");
            var cached = await client.CallAsync<LayerDissection?>(Methods.Dissection,
                new DissectionParams(model.ModelId, "conv3", broden, new DissectionOptions(TopImages: 2)), Slow);
            cached!.Units.Should().BeEquivalentTo(conv3.Units);
            var listed = await client.CallAsync<DissectedLayersResult>(Methods.DissectedLayers, new DissectedLayersParams(model.ModelId), Slow);
            listed.Layers.Select(l => (l.Layer, l.IsDefault)).Should().Equal(("conv3", false), ("conv4", false));

            // A unit's card: a PNG as big as it says.
            var card = await client.CallAsync<UnitCardResult>(Methods.UnitCard,
                new UnitCardParams(model.ModelId, "conv3", 5, broden, new DissectionOptions(TopImages: 2)), Slow);
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(card.Png));
            bitmap.Should().NotBeNull(Context());
            (bitmap.Width, bitmap.Height).Should().Be((card.Width, card.Height));
            card.Width.Should().BeGreaterThan(100);

            // Bad dataset folder: an error, and the daemon serves on.
            var bad = await client.CallExpectingErrorAsync(Methods.Dissect, new DissectParams(model.ModelId, ["conv3"], Path.Combine(cache, "nope")), Slow);
            bad.Code.Should().Be(ErrorCodes.FileNotFound);
            var notBroden = await client.CallExpectingErrorAsync(Methods.Dissect, new DissectParams(model.ModelId, ["conv3"], RepoPaths.Get("samples")), Slow);
            notBroden.Code.Should().BeOneOf(ErrorCodes.FileNotFound, ErrorCodes.InvalidArgument);

            (await client.RequestAsync(Methods.Shutdown, null, Slow)).TryGetProperty("error", out _).Should().BeFalse();
            await client.NotifyAsync(Methods.Exit, null);
            (await daemon.WaitForExitAsync(Slow)).Should().Be(0, Context());
        }
        finally
        {
            try { Directory.Delete(cache, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
