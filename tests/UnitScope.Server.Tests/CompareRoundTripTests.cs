using System.Text.Json;
using SkiaSharp;
using UnitScope.Engine.Checkpoints;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;
using static TorchSharp.torch;

namespace UnitScope.Server.Tests;

/// <summary>
/// <c>unitscope/compareCheckpoints</c> through the real daemon (<c>unitscope serve</c> as a child process): the sample
/// SmallCNN against a copy with noise in its last convolution, over a small probe set: CKA 1 before the change and below
/// after it, work-done progress, the cache, errors naming the layer, and the daemon serving on.
/// </summary>
public class CompareRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Two_checkpoints_compare_with_progress_and_cache_and_a_bad_layer_is_named()
    {
        var root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "compare-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        string noisy = NoisyCopy(RepoPaths.Get("samples", "smallcnn.pth"), "conv3", Path.Combine(root, "noisy.safetensors"));
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = Path.Combine(root, "cache") });
        var client = daemon.Client;
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, Capabilities: JsonSerializer.SerializeToElement(new { window = new { workDoneProgress = true } })), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var a = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);
            var b = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(noisy, Architecture: "smallcnn"), Slow);

            var token = JsonSerializer.SerializeToElement("compare");
            var result = await client.CallAsync<CompareCheckpointsResult>(Methods.CompareCheckpoints,
                new CompareCheckpointsParams(a.ModelId, b.ModelId, MaxImages: 12, BatchSize: 5, WorkDoneToken: token), Slow);
            result.Cached.Should().BeFalse();
            result.Images.Should().Be(12);
            var cka = result.Layers.ToDictionary(l => l.Layer, l => l.Cka);
            cka["conv1"].Should().BeApproximately(1, 1e-9);
            cka["conv2"].Should().BeApproximately(1, 1e-9);
            cka["conv3"].Should().BeLessThan(0.999);
            result.RankedByChange.Should().HaveCount(result.Layers.Count);
            result.Layers.Single(l => l.Layer == "conv1").MatchedToSameIndex.Should().Be(result.Layers.Single(l => l.Layer == "conv1").UnitsA);
            using (var chart = SKBitmap.Decode(Convert.FromBase64String(result.ChartPng)))
                (chart.Width, chart.Height).Should().Be((result.ChartWidth, result.ChartHeight));
            var kinds = client.ProgressValues(token).Select(v => v.GetProperty("kind").GetString()).ToList();
            kinds.First().Should().Be("begin");
            kinds.Last().Should().Be("end");

            var again = await client.CallAsync<CompareCheckpointsResult>(Methods.CompareCheckpoints,
                new CompareCheckpointsParams(a.ModelId, b.ModelId, MaxImages: 12), Slow);
            again.Cached.Should().BeTrue("the batch size is not part of the key");
            again.Layers.Select(l => l.Cka).Should().Equal(result.Layers.Select(l => l.Cka));

            var bad = await client.CallExpectingErrorAsync(Methods.CompareCheckpoints, new CompareCheckpointsParams(a.ModelId, b.ModelId, Layers: ["conv9"]), Slow);
            bad.Code.Should().Be(ErrorCodes.UnknownLayer);
            bad.Message.Should().Contain("conv9");
            var missing = await client.CallExpectingErrorAsync(Methods.CompareCheckpoints, new CompareCheckpointsParams(a.ModelId, "no-such-model"), Slow);
            missing.Message.Should().Contain("no-such-model");

            // Still serving both.
            (await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(b.ModelId, RepoPaths.Get("samples", "images", "circle.png")), Slow))
                .Logits.Should().NotBeEmpty();
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary><paramref name="model"/> with Gaussian noise (a third of the weights' spread) added to <paramref name="layer"/>'s weight.</summary>
    internal static string NoisyCopy(string model, string layer, string path)
    {
        using var state = CheckpointReader.Read(model);
        using var scope = NewDisposeScope();
        var weight = state[layer + ".weight"];
        var noise = randn(weight.shape, generator: new TorchSharp.torch.Generator(3)).mul(weight.std().mul(0.35f));
        SafetensorsWriter.Write(path, state.Entries.Select(e => e.Key == layer + ".weight" ? new KeyValuePair<string, Tensor>(e.Key, e.Value.add(noise)) : e));
        return path;
    }
}
