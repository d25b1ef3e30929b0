using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Evolution;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// unitscope/evolve through the daemon against a fake engine: what reaches the engine, progress per checkpoint, each
/// checkpoint's summary as a partial result (the response then holds none), cancellation between batches, and the
/// documented errors for bad requests (nothing runs for those).
/// </summary>
public class EvolveTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);

    private static JsonElement Token(string text) => JsonSerializer.SerializeToElement(text);

    private static string Kind(JsonElement value) => value.GetProperty("kind").GetString()!;

    private static async Task<(InProcessDaemon Daemon, ModelInfo Model, string Run)> StartAsync()
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync();
        var model = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("net.pth")));
        var run = Path.Combine(d.Directory, "run");
        Directory.CreateDirectory(run);
        foreach (var name in new[] { "epoch_10.pth", "epoch_2.pth", "epoch_1.pth" }) File.WriteAllText(Path.Combine(run, name), "ok");
        return (d, model, run);
    }

    [Fact]
    public async Task Each_checkpoint_comes_as_a_partial_result_in_training_order_with_progress_per_checkpoint()
    {
        var (d, m, run) = await StartAsync();
        await using var _ = d;
        var result = await d.Client.CallAsync<EvolveResult>(Methods.Evolve,
            new EvolveParams(m.ModelId, run, [" conv1 ", "layer1.0.conv1", "conv1"], Dissect: true, BatchSize: 5, WorkDoneToken: Token("wd"), PartialResultToken: Token("pr")));

        d.Evolution.Runs.Should().ContainSingle().Which.Should().BeEquivalentTo(new RunSettings(["conv1", "layer1.0.conv1"], true, 5));
        result.Checkpoints.Should().BeEmpty("the partial results carried them");
        result.CheckpointCount.Should().Be(3);
        result.Layers.Should().Equal("conv1", "layer1.0.conv1");
        result.Run.Should().Be(run);
        var partials = d.Client.ProgressValues(Token("pr")).Select(v => v.Deserialize<EvolveResult>(ProtocolJson.Options)!).ToList();
        partials.Should().HaveCount(3).And.OnlyContain(p => p.Checkpoints.Count == 1);
        partials.Select(p => Path.GetFileName(p.Checkpoints[0].Paths[0])).Should().Equal("epoch_1.pth", "epoch_2.pth", "epoch_10.pth");
        partials.Select(p => p.Checkpoints[0].Index).Should().Equal(0, 1, 2);
        partials[2].Checkpoints[0].Layers[0].LabelledByCategory.Should().ContainSingle().Which.Should().Be(new CategoryCount("color", 2));
        partials[2].Checkpoints[0].Layers[0].UnitConcepts!.Select(u => u.Labelled).Should().Equal(true, true, false, false);
        partials.Should().OnlyContain(p => p.Charts == null, "the charts cover the whole run");
        result.Charts!.Select(c => c.Layer).Should().Equal("conv1", "layer1.0.conv1");
        result.Charts![0].Png.Should().Be(FakeEvolution.ChartPng);

        var values = d.Client.ProgressValues(Token("wd"));
        Kind(values[0]).Should().Be("begin");
        values[0].GetProperty("title").GetString().Should().Be("Training run run");
        values[^1].GetProperty("message").GetString().Should().Be("3 checkpoints of conv1, layer1.0.conv1 on 12 images");
        var reports = values.Where(v => Kind(v) == "report").ToList();
        reports.Select(v => v.GetProperty("message").GetString()).Should().Contain(["building the probe set: 1/2 images", "checkpoint 1 of 3: 4/12 images", "checkpoint 3 of 3: 12/12 images"]);
        reports.Select(v => v.GetProperty("percentage").GetInt32()).Should().BeInAscendingOrder().And.EndWith(100);
    }

    [Fact]
    public async Task Without_a_partial_token_the_response_holds_every_checkpoint()
    {
        var (d, m, run) = await StartAsync();
        await using var _ = d;
        var result = await d.Client.CallAsync<EvolveResult>(Methods.Evolve, new EvolveParams(m.ModelId, Path.Combine(run, "*.pth"), ["conv1"]));
        result.Checkpoints.Select(c => c.Epoch).Should().Equal(1L, 2L, 10L);
        result.Checkpoints[0].Layers[0].WeightChange.Should().BeNull();
        result.Checkpoints[0].Layers[0].LabelledByCategory.Should().BeNull();
        d.Evolution.Runs.Should().ContainSingle().Which.Should().BeEquivalentTo(new RunSettings(["conv1"], false, 16));
    }

    public static TheoryData<Func<string, string, object>, int, string> BadRuns => new()
    {
        { (model, run) => new { modelId = model, run, layers = Array.Empty<string>() }, ErrorCodes.InvalidParams, "layers is empty" },
        { (model, run) => new { modelId = model, run = " ", layers = new[] { "conv1" } }, ErrorCodes.InvalidParams, "run is empty" },
        { (model, run) => new { modelId = model, run, layers = new[] { "conv9" } }, ErrorCodes.UnknownLayer, "conv9" },
        { (model, run) => new { modelId = "nope", run, layers = new[] { "conv1" } }, ErrorCodes.UnknownModel, "nope" },
        { (model, run) => new { modelId = model, run, layers = new[] { "conv1" }, batchSize = 0 }, ErrorCodes.InvalidParams, "batchSize" },
    };

    [Theory]
    [MemberData(nameof(BadRuns))]
    public async Task Bad_runs_get_documented_errors_and_nothing_runs(Func<string, string, object> request, int code, string message)
    {
        var (d, m, run) = await StartAsync();
        await using var _ = d;
        var error = await d.Client.CallExpectingErrorAsync(Methods.Evolve, request(m.ModelId, run));
        error.Code.Should().Be(code);
        error.Message.Should().Contain(message);
        d.Evolution.Runs.Should().BeEmpty();
    }

    [Fact]
    public async Task A_missing_folder_is_named_and_the_daemon_serves_on()
    {
        var (d, m, run) = await StartAsync();
        await using var _ = d;
        var missing = Path.Combine(run, "no-such-run");
        var error = await d.Client.CallExpectingErrorAsync(Methods.Evolve, new EvolveParams(m.ModelId, missing, ["conv1"]));
        error.Code.Should().Be(ErrorCodes.FileNotFound);
        error.Message.Should().Contain("no-such-run");
        (await d.Client.CallAsync<EvolveResult>(Methods.Evolve, new EvolveParams(m.ModelId, run, ["conv1"]), Quick)).CheckpointCount.Should().Be(3);
    }

    [Fact]
    public async Task Cancelling_a_run_stops_it_between_batches_and_keeps_the_checkpoints_already_sent()
    {
        var (d, m, run) = await StartAsync();
        await using var _ = d;
        var gate = d.Evolution.BatchGate = new SemaphoreSlim(0);
        var (id, response) = await d.Client.SendRequestAsync(Methods.Evolve,
            new EvolveParams(m.ModelId, run, ["conv1"], WorkDoneToken: Token("wd"), PartialResultToken: Token("pr")));
        gate.Release(3); // the first checkpoint's batches
        await d.Client.WaitForNotificationAsync(n => n.GetProperty("params").GetProperty("token").GetString() == "pr", Quick);
        await d.Evolution.BatchStarted.WaitAsync(Quick);
        await d.Evolution.BatchStarted.WaitAsync(Quick);
        await d.Evolution.BatchStarted.WaitAsync(Quick);
        await d.Evolution.BatchStarted.WaitAsync(Quick); // the second checkpoint's first batch waits at the gate
        await d.Client.NotifyAsync(Methods.CancelRequest, new { id });

        LspClient.ErrorOf(await response.WaitAsync(Quick))!.Code.Should().Be(ErrorCodes.RequestCancelled);
        d.Client.ProgressValues(Token("pr")).Should().ContainSingle();
        d.Client.ProgressValues(Token("wd")).Last().GetProperty("message").GetString().Should().Be("Cancelled");
        d.Evolution.BatchGate = null;
        (await d.Client.CallAsync<EvolveResult>(Methods.Evolve, new EvolveParams(m.ModelId, run, ["conv1"]), Quick)).Checkpoints.Should().HaveCount(3);
    }
}
