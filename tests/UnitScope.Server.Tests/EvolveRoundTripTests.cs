using System.Buffers.Binary;
using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// <c>unitscope/evolve</c> through the real daemon (<c>unitscope serve</c> as a child process): a run of three files —
/// the sample SmallCNN (whose checkpoint says epoch 6 beside its state_dict) named epoch_1 and again named epoch_3, and a
/// copy with noise in conv3 written as safetensors named epoch_9 — over a few probe images: training order (the entry
/// beats the name), identical bytes summarised once, weight change only where the weights changed,
/// partial results per checkpoint, the cache on a second run, and the daemon serving on.
/// </summary>
public class EvolveRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_run_is_summarised_per_checkpoint_in_training_order_and_cached()
    {
        var root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "evolve-" + Guid.NewGuid().ToString("N"));
        var run = Path.Combine(root, "run");
        Directory.CreateDirectory(run);
        string sample = RepoPaths.Get("samples", "smallcnn.pth");
        File.Copy(sample, Path.Combine(run, "epoch_1.pth"));
        CompareRoundTripTests.NoisyCopy(sample, "conv3", Path.Combine(run, "epoch_9.safetensors"));
        File.Copy(sample, Path.Combine(run, "epoch_3.pth"));
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = Path.Combine(root, "cache") });
        var client = daemon.Client;
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, Capabilities: JsonSerializer.SerializeToElement(new { window = new { workDoneProgress = true } })), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(sample), Slow);

            var result = await client.CallAsync<EvolveResult>(Methods.Evolve,
                new EvolveParams(model.ModelId, run, ["conv1", "conv3"], MaxImages: 6, BatchSize: 4, WorkDoneToken: Token("wd"), PartialResultToken: Token("pr")), Slow);
            result.Checkpoints.Should().BeEmpty();
            result.CheckpointCount.Should().Be(2, "epoch_3 has epoch_1's bytes");
            result.Images.Should().Be(6);
            var partials = client.ProgressValues(Token("pr")).Select(v => v.Deserialize<EvolveResult>(ProtocolJson.Options)!.Checkpoints.Single()).ToList();
            partials.Select(c => c.Paths.Select(Path.GetFileName)).Should().BeEquivalentTo(
                new[] { new[] { "epoch_1.pth", "epoch_3.pth" }, new[] { "epoch_9.safetensors" } }, o => o.WithStrictOrdering());
            partials.Select(c => c.Epoch).Should().Equal([6L, 9L], "the sample's own epoch entry (6) wins over its file names");
            var first = partials[0].Layers.ToDictionary(l => l.Layer);
            var second = partials[1].Layers.ToDictionary(l => l.Layer);
            first["conv3"].WeightChange.Should().BeNull("the first checkpoint has no previous one");
            second["conv1"].WeightChange.Should().Be(0);
            second["conv3"].WeightChange.Should().BeGreaterThan(0.05);
            second["conv1"].MeanActivation.Should().Be(first["conv1"].MeanActivation, "conv1 is the same in both");
            first["conv3"].Units.Should().BeGreaterThan(0);
            first["conv3"].DeadFraction.Should().BeInRange(0, 1);
            client.ProgressValues(Token("wd")).Last().GetProperty("kind").GetString().Should().Be("end");
            result.Charts.Should().HaveCount(2, "one chart per layer comes with the response even when the checkpoints came as partial results");
            foreach (var chart in result.Charts!)
            {
                var png = Convert.FromBase64String(chart.Png);
                png.Take(4).Should().Equal(0x89, (byte)'P', (byte)'N', (byte)'G');
                BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)).Should().Be(chart.Width);
                BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)).Should().Be(chart.Height);
            }

            // Again with dissection: the statistics from the cache, every unit's best concept per checkpoint.
            var again = await client.CallAsync<EvolveResult>(Methods.Evolve,
                new EvolveParams(model.ModelId, Path.Combine(run, "epoch_*"), ["conv1", "conv3"], Dissect: true, MaxImages: 6), Slow);
            again.Checkpoints.Should().HaveCount(2).And.OnlyContain(c => c.Cached);
            again.Checkpoints[1].Layers.Single(l => l.Layer == "conv3").WeightChange.Should().Be(second["conv3"].WeightChange);
            foreach (var layer in again.Checkpoints.SelectMany(c => c.Layers))
            {
                layer.UnitConcepts.Should().NotBeNull().And.OnlyContain(u => u.Unit >= 0 && u.Unit < layer.Units && u.Iou >= 0 && u.Iou <= 1);
                layer.UnitConcepts!.Count(u => u.Labelled).Should().Be(layer.Labelled);
                layer.LabelledByCategory!.Sum(c => c.Units).Should().Be(layer.Labelled);
            }
            again.Checkpoints[0].Layers.Single(l => l.Layer == "conv1").UnitConcepts.Should().BeEquivalentTo(
                again.Checkpoints[1].Layers.Single(l => l.Layer == "conv1").UnitConcepts, "conv1 is the same in both");

            // Followed: what evolve stored is found by content hash (no model runs); a checkpoint that lands meanwhile is
            // summarised in the background and announced.
            var followed = await client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(model.ModelId, run, ["conv1", "conv3"], MaxImages: 6), Slow);
            followed.Pending.Should().BeEmpty();
            followed.Checkpoints.Should().HaveCount(2).And.OnlyContain(c => c.Cached);
            followed.Checkpoints[1].Layers.Single(l => l.Layer == "conv3").WeightChange.Should().Be(second["conv3"].WeightChange);
            CompareRoundTripTests.NoisyCopy(sample, "conv1", Path.Combine(run, "epoch_12.safetensors"));
            var landing = await client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(model.ModelId, run, ["conv1", "conv3"], MaxImages: 6), Slow);
            landing.Pending.Select(Path.GetFileName).Should().Equal("epoch_12.safetensors");
            var announced = await client.WaitForNotificationAsync(n => n.GetProperty("method").GetString() == Methods.CheckpointSummarized, Slow);
            var landed = announced.GetProperty("params").Deserialize<CheckpointSummarizedParams>(ProtocolJson.Options)!.Checkpoint;
            landed.Index.Should().Be(2);
            landed.Cached.Should().BeFalse();
            landed.Layers.Single(l => l.Layer == "conv1").WeightChange.Should().BeGreaterThan(0.05, "epoch 12 has noise in conv1");
            landed.Layers.Single(l => l.Layer == "conv3").WeightChange.Should().BeGreaterThan(0.05, "epoch 9 had noise in conv3");
            (await client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(model.ModelId, run, ["conv1", "conv3"], MaxImages: 6), Slow))
                .Checkpoints.Should().HaveCount(3, "reopened: everything stored");

            var bad = await client.CallExpectingErrorAsync(Methods.Evolve, new EvolveParams(model.ModelId, run, ["conv9"]), Slow);
            bad.Code.Should().Be(ErrorCodes.UnknownLayer);
            bad.Message.Should().Contain("conv9");
            (await client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(model.ModelId, RepoPaths.Get("samples", "images", "circle.png")), Slow))
                .Logits.Should().NotBeEmpty();
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static JsonElement Token(string text) => JsonSerializer.SerializeToElement(text);
}
