using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// unitscope/followRun against a fake engine: stored summaries come back at once, the rest are summarised in the
/// background and announced one by one in training order, a checkpoint written while the daemon runs is summarised
/// when the run is listed again (and then found stored), a file still being written is read only once complete, and an
/// interactive request that arrives during a summary gets the device before the summary's next batch.
/// </summary>
public class FollowRunTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(20);

    private static async Task<(InProcessDaemon Daemon, ModelInfo Model, string Run)> StartAsync(params (string Name, string Bytes)[] files)
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync();
        var model = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("net.pth")));
        var run = Path.Combine(d.Directory, "run");
        Directory.CreateDirectory(run);
        foreach (var (name, bytes) in files) File.WriteAllText(Path.Combine(run, name), bytes);
        return (d, model, run);
    }

    private static Task<JsonElement> Announced(InProcessDaemon d, string file) =>
        d.Client.WaitForNotificationAsync(n => n.GetProperty("method").GetString() == Methods.CheckpointSummarized
            && Summary(n).Paths.Any(p => Path.GetFileName(p) == file), Quick);

    private static CheckpointSummary Summary(JsonElement notification) =>
        notification.GetProperty("params").Deserialize<CheckpointSummarizedParams>(ProtocolJson.Options)!.Checkpoint;

    [Fact]
    public async Task Stored_summaries_come_at_once_and_a_checkpoint_written_meanwhile_is_summarised_in_the_background()
    {
        var (d, m, run) = await StartAsync(("epoch_10.pth", "c"), ("epoch_2.pth", "b"), ("epoch_1.pth", "a"), ("copy_of_1_epoch_1.pth", "a"));
        await using var _ = d;
        var first = await d.Client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(m.ModelId, run, [" conv1 ", "conv1"]));
        first.Checkpoints.Should().BeEmpty("nothing was summarised yet");
        first.CheckpointCount.Should().Be(3, "two files have the same bytes");
        first.Layers.Should().Equal("conv1");
        first.Pending.Should().HaveCount(3);
        var announced = new[] { "epoch_1.pth", "epoch_2.pth", "epoch_10.pth" }.Select(f => Announced(d, f)).ToList();
        var summaries = (await Task.WhenAll(announced)).Select(Summary).ToList();
        summaries.Select(s => s.Index).Should().Equal(0, 1, 2);
        summaries[0].Paths.Select(Path.GetFileName).Should().BeEquivalentTo("epoch_1.pth", "copy_of_1_epoch_1.pth");
        summaries[0].Layers[0].WeightChange.Should().BeNull("the first checkpoint has no previous one");
        summaries[1].Layers[0].WeightChange.Should().Be(0.1);
        d.Evolution.Events.Where(e => e.StartsWith("summarised")).Skip(1).Should().Equal("summarised epoch_2.pth", "summarised epoch_10.pth");

        // Training writes epoch 11 while the daemon runs; the editor lists the run again.
        File.WriteAllText(Path.Combine(run, "epoch_11.pth"), "d");
        var second = await d.Client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(m.ModelId, run, ["conv1"]));
        second.Checkpoints.Select(c => c.Index).Should().Equal(0, 1, 2);
        second.Checkpoints.Should().OnlyContain(c => c.Cached);
        second.Pending.Select(Path.GetFileName).Should().Equal("epoch_11.pth");
        var landed = Summary(await Announced(d, "epoch_11.pth"));
        landed.Index.Should().Be(3);
        landed.CheckpointHash.Should().Be("d");

        // Reopened: everything at once, nothing computed again.
        var third = await d.Client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(m.ModelId, run, ["conv1"]));
        third.Checkpoints.Should().HaveCount(4);
        third.Pending.Should().BeEmpty();
        d.Evolution.Events.Count(e => e.StartsWith("summarised")).Should().Be(4);
    }

    [Fact]
    public async Task A_file_still_being_written_is_read_only_once_it_is_complete()
    {
        var (d, m, run) = await StartAsync(("epoch_1.pth", "a"), ("epoch_2.pth", "writing"));
        await using var _ = d;
        var result = await d.Client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(m.ModelId, run, ["conv1"]));
        result.Pending.Select(Path.GetFileName).Should().BeEquivalentTo("epoch_1.pth", "epoch_2.pth");
        await Announced(d, "epoch_1.pth");
        d.Evolution.Events.Should().NotContain(e => e.EndsWith("epoch_2.pth"), "it is still being written");
        // Listed again while still being written: queued once, not twice.
        (await d.Client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(m.ModelId, run, ["conv1"]))).Pending
            .Select(Path.GetFileName).Should().Equal("epoch_2.pth");

        // Finished as a training script's save does it: written beside, then moved into place.
        File.WriteAllText(Path.Combine(run, "epoch_2.pth.tmp"), "b");
        File.Move(Path.Combine(run, "epoch_2.pth.tmp"), Path.Combine(run, "epoch_2.pth"), overwrite: true);
        var done = Summary(await Announced(d, "epoch_2.pth"));
        done.CheckpointHash.Should().Be("b", "the summary reads the finished file");
        d.Evolution.Events.Count(e => e == "summarised epoch_2.pth").Should().Be(1);
    }

    [Fact]
    public async Task An_interactive_request_during_a_summary_gets_the_device_before_the_summary_s_next_batch()
    {
        var (d, m, run) = await StartAsync(("epoch_1.pth", "a"));
        await using var _ = d;
        var batches = d.Evolution.BatchGate = new SemaphoreSlim(0);
        await d.Client.CallAsync<FollowRunResult>(Methods.FollowRun, new FollowRunParams(m.ModelId, run, ["conv1"]));
        await d.Evolution.BatchStarted.WaitAsync(Quick); // batch 1 holds the device

        var mapGate = d.Engine.UnitMapGate = new TaskCompletionSource();
        var (_, map) = await d.Client.SendRequestAsync(Methods.UnitMap, new UnitMapParams(m.ModelId, "conv1", 0, d.Image()));
        await WaitUntil(() => d.Services.Devices.Waiting("cpu") == 1);
        batches.Release(); // batch 1 ends: the summary yields to the waiting unit map
        await d.Engine.UnitMapStarted.WaitAsync(Quick);
        d.Evolution.Events.Should().Equal(["summary batch 1 of epoch_1.pth"], "the summary's next batch waits while the unit map holds the device");
        mapGate.SetResult();
        LspClient.ErrorOf(await map.WaitAsync(Quick)).Should().BeNull();

        batches.Release(d.Evolution.Batches);
        await Announced(d, "epoch_1.pth");
        d.Evolution.Events.Should().StartWith(["summary batch 1 of epoch_1.pth", "summary batch 2 of epoch_1.pth"]);
    }

    [Fact]
    public async Task Bad_requests_get_documented_errors_and_nothing_is_queued()
    {
        var (d, m, run) = await StartAsync(("epoch_1.pth", "a"));
        await using var _ = d;
        (await d.Client.CallExpectingErrorAsync(Methods.FollowRun, new FollowRunParams(m.ModelId, run, []))).Message.Should().Contain("layers is empty");
        (await d.Client.CallExpectingErrorAsync(Methods.FollowRun, new FollowRunParams(m.ModelId, run, ["conv9"]))).Code.Should().Be(ErrorCodes.UnknownLayer);
        (await d.Client.CallExpectingErrorAsync(Methods.FollowRun, new FollowRunParams("nope", run, ["conv1"]))).Code.Should().Be(ErrorCodes.UnknownModel);
        (await d.Client.CallExpectingErrorAsync(Methods.FollowRun, new FollowRunParams(m.ModelId, Path.Combine(run, "missing"), ["conv1"]))).Code
            .Should().Be(ErrorCodes.FileNotFound);
        d.Evolution.Events.Should().BeEmpty();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Quick;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met");
            await Task.Delay(10);
        }
    }
}
