using Nerdbank.Streams;
using SkiaSharp;
using UnitScope.Engine.Imaging;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Images;
using UnitScope.Server.Models;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// <c>unitscope/predict</c>, <c>unitscope/unitMap</c> and <c>unitscope/occlude</c> through the daemon (in process,
/// over LSP framing, with the real engine, images and cache) size the image as the model's description file says
/// (<c>"centerCrop"</c>), as its evaluation sets are: the answers are those of the manually cropped image, the
/// pictures have the cropped image's size, and occlusion's cache key follows the sizing. The two models are
/// byte-identical copies of the sample SmallCNN (64×64 input), one with a description; the image is a sample
/// centred on a 96×64 grey canvas, so its centre 64×64 crop is the sample itself.
/// </summary>
public sealed class SingleImageSizingTests : IAsyncDisposable
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "single-sizing-" + Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource _cts = new();
    private readonly DaemonServices _services;
    private readonly Task<int> _daemon;
    private readonly LspClient _client;

    public SingleImageSizingTests()
    {
        Directory.CreateDirectory(_root);
        var log = new DaemonLog(TextWriter.Null);
        var cache = Path.Combine(_root, "cache");
        var dissection = new EngineDissection(log, cache);
        _services = new DaemonServices(log, new EngineModelLoader(), new EngineImageCodec(), new SkiaOverlayRenderer(), dissection,
            new EngineAnalysis(log, dissection, cache));
        var (serverSide, clientSide) = FullDuplexStream.CreatePair();
        _daemon = DaemonHost.RunAsync(serverSide, serverSide, _services, _cts.Token);
        _client = new LspClient(clientSide, clientSide);
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        await ((Task)_daemon).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _client.DisposeAsync();
        _services.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private string Model(string name, string? description = null)
    {
        var path = Path.Combine(_root, name + ".pth");
        File.Copy(RepoPaths.Get("samples", "smallcnn.pth"), path);
        File.Copy(RepoPaths.Get("samples", "smallcnn.classes.txt"), Path.Combine(_root, name + ".classes.txt"));
        if (description is not null) File.WriteAllText(Path.Combine(_root, name + ".unitscope.json"), description);
        return path;
    }

    /// <summary>The sample image centred on a grey canvas 16 pixels wider on each side, written as a PNG.</summary>
    private string Widened(string sample)
    {
        var image = ImageFile.Load(RepoPaths.Get("samples", "images", sample + ".png"));
        const int pad = 16;
        int width = image.Width + 2 * pad, c = image.Channels;
        var pixels = Enumerable.Repeat((byte)128, width * image.Height * c).ToArray();
        for (var y = 0; y < image.Height; y++)
            Array.Copy(image.Pixels, y * image.Width * c, pixels, (y * width + pad) * c, image.Width * c);
        var path = Path.Combine(_root, sample + "-wide.png");
        File.WriteAllBytes(path, Rendering.Png.Encode(new RgbImage(width, image.Height, c, pixels)));
        return path;
    }

    private static (int Width, int Height) PngSize(string base64)
    {
        using var bitmap = SKBitmap.Decode(Convert.FromBase64String(base64));
        return (bitmap.Width, bitmap.Height);
    }

    [Fact]
    public async Task Predict_unit_map_and_occlusion_see_the_image_cropped_as_the_description_says()
    {
        await _client.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(ProcessId: null));
        await _client.NotifyAsync(Methods.Initialized, new { });
        var described = await _client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(Model("described", """{ "centerCrop": 64 }""")), Slow);
        var plain = await _client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(Model("plain")), Slow);
        described.ModelId.Should().NotBe(plain.ModelId, "a description makes another model of the same bytes");
        var wide = Widened("circle");
        var circle = RepoPaths.Get("samples", "images", "circle.png");

        var sized = await _client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(described.ModelId, wide), Slow);
        var cropped = await _client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(plain.ModelId, circle), Slow);
        var squashed = await _client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(plain.ModelId, wide), Slow);
        sized.Logits.Should().Equal(cropped.Logits, "the described model sees the centre crop, which is the sample");
        sized.Top[0].Label.Should().Be("circle");
        squashed.Logits.Should().NotEqual(cropped.Logits, "without a description the wide image is resized whole");

        var map = await _client.CallAsync<UnitMapResult>(Methods.UnitMap, new UnitMapParams(described.ModelId, "conv3", 5, ImagePath: wide), Slow);
        var manualMap = await _client.CallAsync<UnitMapResult>(Methods.UnitMap, new UnitMapParams(plain.ModelId, "conv3", 5, ImagePath: circle), Slow);
        var wholeMap = await _client.CallAsync<UnitMapResult>(Methods.UnitMap, new UnitMapParams(plain.ModelId, "conv3", 5, ImagePath: wide), Slow);
        map.Values.Should().Equal(manualMap.Values);
        (map.ImageWidth, map.ImageHeight).Should().Be((64, 64), "the overlay is drawn over the cropped image");
        PngSize(map.OverlayPng).Should().Be((64, 64));
        map.OverlayPng.Should().Be(manualMap.OverlayPng);
        (wholeMap.ImageWidth, wholeMap.ImageHeight).Should().Be((96, 64));

        var occlusion = await _client.CallAsync<OccludeResult>(Methods.Occlude, new OccludeParams(described.ModelId, 16, 16, ImagePath: wide), Slow);
        occlusion.Cached.Should().BeFalse();
        var unsized = await _client.CallAsync<OccludeResult>(Methods.Occlude, new OccludeParams(plain.ModelId, 16, 16, ImagePath: wide), Slow);
        unsized.Cached.Should().BeFalse("the same file and checkpoint bytes, but another image once sized: another key");
        var manual = await _client.CallAsync<OccludeResult>(Methods.Occlude, new OccludeParams(plain.ModelId, 16, 16, ImagePath: circle), Slow);
        manual.Cached.Should().BeTrue("the key is the image the model sees: the cropped wide image is the sample, pixel for pixel");
        occlusion.Probability.Values.Should().Equal(manual.Probability.Values);
        occlusion.ImagePng.Should().Be(manual.ImagePng, "the picture shown is the cropped image");
        occlusion.CompositePng.Should().Be(manual.CompositePng);
        unsized.ImagePng.Should().NotBe(occlusion.ImagePng);
    }
}
