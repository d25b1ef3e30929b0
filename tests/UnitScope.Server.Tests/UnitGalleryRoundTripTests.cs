using System.Text.Json;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// <c>unitscope/unitGallery</c> through the real daemon (<c>unitscope serve</c> as a child process, the real engine,
/// cache and pictures): the sample SmallCNN over the tiny Broden fixture (tests/fixtures/broden_mini).
/// </summary>
public class UnitGalleryRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);

    private static (int Width, int Height) Decode(string base64)
    {
        using var bitmap = SKBitmap.Decode(Convert.FromBase64String(base64));
        bitmap.Should().NotBeNull("a PNG");
        return (bitmap.Width, bitmap.Height);
    }

    [Fact]
    public async Task A_units_gallery_has_its_strongest_activations_patches_and_projections_with_progress_and_the_cache()
    {
        var cache = Path.Combine(Path.GetTempPath(), "unitscope-tests", "gallery-" + Guid.NewGuid().ToString("N"));
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
            var wd = JsonSerializer.SerializeToElement("gallery");

            // A unit card asks first whether the gallery is cached: nothing is, and no pass is started for it.
            (await client.CallAsync<UnitGalleryResult?>(Methods.UnitGallery,
                new UnitGalleryParams(model.ModelId, "conv3", 5, broden, K: 4, CachedOnly: true), Slow)).Should().BeNull(Context());

            var gallery = await client.CallAsync<UnitGalleryResult>(Methods.UnitGallery,
                new UnitGalleryParams(model.ModelId, "conv3", 5, broden, K: 4, WorkDoneToken: wd), Slow);
            gallery.Cached.Should().BeFalse("the cached-only request above ran and stored no pass");
            gallery.Method.Should().Be("deconvnet", gallery.MethodReason);
            gallery.MethodReason.Should().Contain("chain");
            gallery.Units.Should().Be(64);
            gallery.Dataset.Should().Be(broden);
            gallery.Activations.Should().HaveCount(Math.Min(4, gallery.Images));
            gallery.Activations.Select(a => a.Value).Should().BeInDescendingOrder();
            gallery.ReceptiveField.Should().NotBeNull();
            foreach (var a in gallery.Activations)
            {
                File.Exists(a.ImagePath).Should().BeTrue(a.ImagePath);
                Decode(a.ImagePng).Should().Be((gallery.InputWidth, gallery.InputHeight));
                Decode(a.PatchPng).Should().Be((a.Box.Width, a.Box.Height));
                Decode(a.ProjectionPng).Should().Be((a.Box.Width, a.Box.Height));
            }
            Decode(gallery.FigurePng).Width.Should().BeGreaterThan(gallery.Activations.Count * 16);
            var progress = client.ProgressValues(wd);
            progress.First().GetProperty("kind").GetString().Should().Be("begin");
            progress.Last().GetProperty("kind").GetString().Should().Be("end");
            progress.Should().Contain(v => v.GetProperty("kind").GetString() == "report"
                                           && v.GetProperty("message").GetString()!.StartsWith("strongest activations: "));

            // Another unit of the layer: the pass is cached; guided backpropagation as asked.
            var other = await client.CallAsync<UnitGalleryResult>(Methods.UnitGallery,
                new UnitGalleryParams(model.ModelId, "conv3", 6, broden, K: 4, Method: "guided"), Slow);
            other.Cached.Should().BeTrue(Context());
            other.Method.Should().Be("guided");

            // Now the card gets it from the cache: the same winners, projected.
            var card = await client.CallAsync<UnitGalleryResult?>(Methods.UnitGallery,
                new UnitGalleryParams(model.ModelId, "conv3", 5, broden, K: 4, CachedOnly: true), Slow);
            card.Should().NotBeNull(Context());
            card!.Cached.Should().BeTrue();
            card.Activations.Select(a => (a.Image, a.Y, a.X, a.Value)).Should().Equal(gallery.Activations.Select(a => (a.Image, a.Y, a.X, a.Value)));
            card.Activations.Select(a => a.ProjectionPng).Should().Equal(gallery.Activations.Select(a => a.ProjectionPng));
            (await client.CallAsync<UnitGalleryResult?>(Methods.UnitGallery,
                new UnitGalleryParams(model.ModelId, "conv2", 5, broden, K: 4, CachedOnly: true), Slow)).Should().BeNull("conv2 was never searched");

            // Errors name the problem, and the daemon serves on.
            (await client.CallExpectingErrorAsync(Methods.UnitGallery, new UnitGalleryParams(model.ModelId, "fc", 0, broden), Slow))
                .Code.Should().Be(ErrorCodes.InvalidArgument);
            (await client.CallExpectingErrorAsync(Methods.UnitGallery, new UnitGalleryParams(model.ModelId, "conv3", 64, broden), Slow))
                .Code.Should().Be(ErrorCodes.UnitOutOfRange);
            (await client.CallExpectingErrorAsync(Methods.UnitGallery, new UnitGalleryParams(model.ModelId, "conv3", 0, broden, Method: "sideways"), Slow))
                .Code.Should().Be(ErrorCodes.InvalidParams);
            (await client.CallExpectingErrorAsync(Methods.UnitGallery, new UnitGalleryParams(model.ModelId, "conv3", 0, Path.Combine(cache, "nope")), Slow))
                .Code.Should().Be(ErrorCodes.FileNotFound);
            var again = await client.CallAsync<UnitGalleryResult>(Methods.UnitGallery, new UnitGalleryParams(model.ModelId, "conv3", 5, broden, K: 4), Slow);
            again.Activations.Select(a => a.Value).Should().Equal(gallery.Activations.Select(a => a.Value));

            (await client.RequestAsync(Methods.Shutdown, null, Slow)).TryGetProperty("error", out _).Should().BeFalse();
            await client.NotifyAsync(Methods.Exit, null);
            (await daemon.WaitForExitAsync(Slow)).Should().Be(0, Context());
        }
        finally
        {
            try { Directory.Delete(cache, recursive: true); } catch (IOException) { }
        }
    }
}
