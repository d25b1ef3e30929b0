using System.Text.Json;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;
using Xunit.Abstractions;

namespace UnitScope.Server.Tests;

/// <summary>
/// The real thing: <c>unitscope serve</c> as a child process over stdio with LSP framing, the real
/// engine, the sample checkpoint (samples/smallcnn.pth), sample images and the checkpoint fixtures.
/// One long scenario, as an editor session would run it.
/// </summary>
public class StdioRoundTripTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Editor_session_over_stdio()
    {
        await using var daemon = DaemonProcess.Start();
        var client = daemon.Client;
        string Context() => $"\n--- daemon stderr ---\n{daemon.Stderr}";

        try
        {
            // Lifecycle.
            var init = await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, ClientInfo: new ClientInfo("StdioRoundTripTests")), Slow);
            init.Capabilities.HoverProvider.Should().BeTrue();
            init.Capabilities.TextDocumentSync.Should().Be(TextDocumentSyncKind.Full);
            await client.NotifyAsync(Methods.Initialized, new { });

            // Load the sample model; loading it again gives the same model.
            var checkpoint = RepoPaths.Get("samples", "smallcnn.pth");
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(checkpoint), Slow);
            model.Architecture.Should().Be("smallcnn");
            model.Layers.Select(l => l.Name).Should().Contain(["conv1", "bn1", "conv4", "fc"]);
            model.CheckpointHash.Should().MatchRegex("^[0-9a-f]{64}$");
            (await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(checkpoint), Slow)).ModelId.Should().Be(model.ModelId);

            var layers = await client.CallAsync<ListLayersResult>(Methods.ListLayers, new ListLayersParams(model.ModelId));
            layers.Layers.Should().BeEquivalentTo(model.Layers, o => o.WithStrictOrdering());
            var conv1 = layers.Layers.Single(l => l.Name == "conv1");
            conv1.Kind.Should().Be("Conv2d");

            // Hover in the Python source that defines the model.
            var sourcePath = RepoPaths.Get("samples", "train_smallcnn.py");
            var source = await File.ReadAllTextAsync(sourcePath);
            var uri = new Uri(sourcePath).AbsoluteUri;
            await client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(uri, "python", 1, source)));
            var (line, character) = Find(source, "self.conv1 = ", 7);
            var hover = await client.CallAsync<Hover?>(Methods.Hover, new HoverParams(new TextDocumentIdentifier(uri), new Position(line, character)));
            hover.Should().NotBeNull(Context());
            hover!.Contents.Value.Should().Contain("`conv1`").And.Contain("Conv2d").And.Contain($"{conv1.Units} units").And.Contain("smallcnn.pth");

            // A unit map, by path and by bytes.
            var image = RepoPaths.Get("samples", "images", "circle.png");
            var map = await client.CallAsync<UnitMapResult>(Methods.UnitMap, new UnitMapParams(model.ModelId, "conv1", 0, image), Slow);
            CheckUnitMap(map, conv1, image);
            var fromBytes = await client.CallAsync<UnitMapResult>(Methods.UnitMap,
                new UnitMapParams(model.ModelId, "conv1", 0, ImageBase64: Convert.ToBase64String(await File.ReadAllBytesAsync(image))), Slow);
            fromBytes.Values.Should().Equal(map.Values);

            var prediction = await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(model.ModelId, image, Top: 2), Slow);
            prediction.Probabilities.Sum().Should().BeApproximately(1f, 1e-3f);
            prediction.Top.Should().HaveCount(2);

            async Task StillServes()
            {
                var list = await client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams());
                list.Models.Select(m => m.ModelId).Should().Contain(model.ModelId, Context());
                var again = await client.CallAsync<UnitMapResult>(Methods.UnitMap, new UnitMapParams(model.ModelId, "conv1", 0, image), Slow);
                again.Values.Should().Equal(map.Values);
            }

            // Bad requests: each has its code and a message; the daemon and the model survive each.
            async Task ExpectError(string method, object @params, int code, string? kind = null)
            {
                var error = await client.CallExpectingErrorAsync(method, @params, Slow);
                error.Code.Should().Be(code, $"{method} {JsonSerializer.Serialize(@params)} → {error}{Context()}");
                error.Message.Should().NotBeNullOrWhiteSpace();
                if (kind is not null) error.Kind.Should().Be(kind);
                await StillServes();
            }

            await ExpectError(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "no-such-file.pth")), ErrorCodes.FileNotFound, "FileNotFound");
            var truncated = RepoPaths.Get("tests", "fixtures", "checkpoints", "truncated_zip.pt");
            if (File.Exists(truncated))
                await ExpectError(Methods.LoadModel, new LoadModelParams(truncated), ErrorCodes.CorruptCheckpoint, "CorruptCheckpoint");
            foreach (var name in new[] { "malicious_os_system.pt", "malicious_os_system_legacy.pt" })
            {
                var malicious = RepoPaths.Get("tests", "fixtures", "checkpoints", name);
                if (File.Exists(malicious))
                    await ExpectError(Methods.LoadModel, new LoadModelParams(malicious), ErrorCodes.UnsafeCheckpoint, "UnsafeCheckpoint");
            }
            await ExpectError(Methods.LoadModel, new LoadModelParams(checkpoint, Architecture: "resnet18"), ErrorCodes.ArchitectureMismatch, "ArchitectureMismatch");
            await ExpectError(Methods.LoadModel, new LoadModelParams(checkpoint, Architecture: "no-such-net"), ErrorCodes.UnknownArchitecture, "UnknownArchitecture");
            await ExpectError(Methods.UnitMap, new UnitMapParams(model.ModelId, "conv99", 0, image), ErrorCodes.UnknownLayer, "UnknownLayer");
            await ExpectError(Methods.UnitMap, new UnitMapParams(model.ModelId, "conv1", conv1.Units, image), ErrorCodes.UnitOutOfRange, "UnitOutOfRange");
            await ExpectError(Methods.UnitMap, new UnitMapParams(model.ModelId, "conv1", 0, ImageBase64: Convert.ToBase64String("not an image"u8.ToArray())),
                ErrorCodes.BadImage, "BadImage");
            await ExpectError(Methods.ListLayers, new ListLayersParams("no-such-model"), ErrorCodes.UnknownModel, "UnknownModel");
            await ExpectError(Methods.LoadModel, new { architecture = "smallcnn" }, ErrorCodes.InvalidParams);
            await ExpectError("unitscope/noSuchMethod", new { }, ErrorCodes.MethodNotFound);

            await client.SendRawAsync("{\"jsonrpc\":\"2.0\",\"id\":12345,\"method\":");
            LspClient.ErrorOf(await client.NextUnmatchedResponseAsync(Slow))!.Code.Should().Be(ErrorCodes.ParseError);
            await StillServes();

            // Shutdown and exit: code 0, and nothing but frames on stdout.
            (await client.RequestAsync(Methods.Shutdown, null)).GetProperty("result").ValueKind.Should().Be(JsonValueKind.Null);
            await client.NotifyAsync(Methods.Exit, null);
            (await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0, Context());
            client.ProtocolViolations.Should().BeEmpty("stdout carries the protocol only");
            output.WriteLine(daemon.Stderr);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Exception($"{e.Message}{Context()}", e);
        }
    }

    private static void CheckUnitMap(UnitMapResult map, LayerInfo layer, string imagePath)
    {
        map.Layer.Should().Be(layer.Name);
        (map.MapHeight, map.MapWidth).Should().Be((layer.OutputShape[1], layer.OutputShape[2]));
        map.Values.Should().HaveCount(map.MapWidth * map.MapHeight);
        map.Min.Should().BeApproximately(map.Values.Min(), 1e-5f);
        map.Max.Should().BeApproximately(map.Values.Max(), 1e-5f);
        map.Mean.Should().BeApproximately(map.Values.Average(), 1e-3f);
        map.Max.Should().BeGreaterThanOrEqualTo(map.Min);

        using var source = SKBitmap.Decode(imagePath);
        (map.ImageWidth, map.ImageHeight).Should().Be((source.Width, source.Height));
        using var overlay = SKBitmap.Decode(Convert.FromBase64String(map.OverlayPng));
        overlay.Should().NotBeNull("overlayPng is a PNG");
        (overlay.Width, overlay.Height).Should().Be((map.ImageWidth, map.ImageHeight));
    }

    private static (int Line, int Character) Find(string text, string what, int offsetInside)
    {
        var index = text.IndexOf(what, StringComparison.Ordinal);
        index.Should().BeGreaterThanOrEqualTo(0, $"the source contains '{what}'");
        var position = Documents.TextPositions.ToPosition(text, index + offsetInside);
        return (position.Line, position.Character);
    }
}
