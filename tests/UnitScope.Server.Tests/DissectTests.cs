using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// unitscope/dissect and its companions through the daemon, against a fake engine that reports
/// progress per batch: results and caching, work-done progress (client and daemon tokens), partial
/// results, cancellation, and that hovers, model changes and unit maps do not wait for it.
/// </summary>
public class DissectTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);

    private static JsonElement Token(string text) => JsonSerializer.SerializeToElement(text);

    private static async Task<(InProcessDaemon Daemon, ModelInfo Model)> StartAsync(object? capabilities = null)
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync(capabilities);
        var model = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("net.pth")));
        return (d, model);
    }

    private static Task<DissectResult> DissectAsync(InProcessDaemon d, ModelInfo m, string[] layers, DissectionOptions? options = null,
        string? workDone = null, string? partial = null, string? dataset = null) =>
        d.Client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(m.ModelId, layers, dataset, options,
            workDone is null ? null : Token(workDone), partial is null ? null : Token(partial)));

    private static string Kind(JsonElement value) => value.GetProperty("kind").GetString()!;

    [Fact]
    public async Task Dissect_returns_every_layer_mapped_from_the_engine_in_the_order_asked()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var result = await DissectAsync(d, m, ["layer1.0.conv1", "conv1", "conv1"]);

        result.Layers.Select(l => l.Layer).Should().Equal("layer1.0.conv1", "conv1");
        var conv1 = result.Layers[1];
        conv1.CheckpointHash.Should().Be(m.CheckpointHash);
        conv1.Dataset.Should().Be("probe");
        conv1.DatasetHash.Should().Be("probehash");
        conv1.ImageCount.Should().Be(FakeDissection.Images);
        conv1.Options.Should().Be(new DissectionSettings(0.005, 0.04, 8, 16));
        conv1.Units.Should().HaveCount(4);
        conv1.LabelledUnits.Should().Be(3);
        conv1.Categories.Select(c => c.Name).Should().Equal("color", "shape", "object");
        conv1.Categories.Should().OnlyContain(c => System.Text.RegularExpressions.Regex.IsMatch(c.Color, "^#[0-9a-f]{6}$"));
        conv1.LabelledByCategory.Should().Equal(new CategoryCount("color", 2), new CategoryCount("shape", 1), new CategoryCount("object", 0));
        conv1.Units[0].Label.Should().Be(new ConceptScore(1, "red", "color", 0.5));
        conv1.Units[2].Label.Should().BeNull();
        conv1.Units[2].Best!.Concept.Should().Be("house");
        conv1.Units[0].TopImages.Should().Equal(new TopImage(0, 3f), new TopImage(1, 2f));
        d.Dissection.Runs.Should().ContainSingle().Which.Should().Equal("layer1.0.conv1", "conv1");
        result.Notes.Should().BeNull("the probe images are the model's size");
    }

    [Fact]
    public async Task Probe_images_of_another_size_than_the_input_are_said_in_the_result()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.Note = "The probe images are 112x112 but the model takes 32x32 …";
        var result = await DissectAsync(d, m, ["conv1"]);
        result.Notes.Should().Equal(d.Dissection.Note);
    }

    [Fact]
    public async Task Results_are_cached_per_dataset_and_result_changing_options()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await DissectAsync(d, m, ["conv1"]);
        // Again, and with another batch size (not part of the key): from the cache.
        await DissectAsync(d, m, ["conv1"]);
        await DissectAsync(d, m, ["conv1"], new DissectionOptions(BatchSize: 4));
        d.Dissection.Runs.Should().HaveCount(1);
        // Only the layer that is missing is computed.
        await DissectAsync(d, m, ["conv1", "layer1.1.conv1"]);
        d.Dissection.Runs.Last().Should().Equal("layer1.1.conv1");

        var cached = await d.Client.CallAsync<LayerDissection?>(Methods.Dissection, new DissectionParams(m.ModelId, "conv1"));
        cached!.Layer.Should().Be("conv1");
        var other = await d.Client.RequestAsync(Methods.Dissection, new DissectionParams(m.ModelId, "conv1", Options: new DissectionOptions(Quantile: 0.01)));
        other.GetProperty("result").ValueKind.Should().Be(JsonValueKind.Null);
        (await d.Client.RequestAsync(Methods.Dissection, new DissectionParams(m.ModelId, "bn1"))).GetProperty("result").ValueKind
            .Should().Be(JsonValueKind.Null);

        var listed = await d.Client.CallAsync<DissectedLayersResult>(Methods.DissectedLayers, new DissectedLayersParams(m.ModelId));
        listed.Layers.Select(l => (l.Layer, l.IsDefault, l.Units, l.LabelledUnits))
            .Should().Equal(("conv1", true, 4, 3), ("layer1.1.conv1", true, 8, 6));

        await DissectAsync(d, m, ["conv1"], new DissectionOptions(Quantile: 0.01));
        listed = await d.Client.CallAsync<DissectedLayersResult>(Methods.DissectedLayers, new DissectedLayersParams(m.ModelId));
        listed.Layers.Should().HaveCount(3);
        listed.Layers.Where(l => l.Layer == "conv1").Select(l => l.IsDefault).Should().BeEquivalentTo([true, false]);
    }

    [Fact]
    public async Task Nothing_is_cached_before_the_probe_set_exists_and_lookups_do_not_build_it()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        (await d.Client.RequestAsync(Methods.Dissection, new DissectionParams(m.ModelId, "conv1"))).GetProperty("result").ValueKind
            .Should().Be(JsonValueKind.Null);
        (await d.Client.CallAsync<DissectedLayersResult>(Methods.DissectedLayers, new DissectedLayersParams(m.ModelId))).Layers.Should().BeEmpty();
        d.Dissection.ProbeBuilt.Should().BeFalse();
    }

    [Fact]
    public async Task Work_done_progress_on_the_client_token_begins_reports_and_ends_before_the_response()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.BatchSize = 5;
        var response = await d.Client.RequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1", "layer1.0.conv1"], WorkDoneToken: Token("wd-1")));
        LspClient.ErrorOf(response).Should().BeNull();

        var values = d.Client.ProgressValues(Token("wd-1"));
        values.Select(Kind).First().Should().Be("begin");
        values.Select(Kind).Last().Should().Be("end");
        values.Select(Kind).Skip(1).SkipLast(1).Should().OnlyContain(k => k == "report").And.NotBeEmpty();
        values[0].GetProperty("title").GetString().Should().Be("Dissecting 2 layers");
        values[0].GetProperty("cancellable").GetBoolean().Should().BeTrue();

        var reports = values.Where(v => Kind(v) == "report").ToList();
        var messages = reports.Select(v => v.GetProperty("message").GetString()!).ToList();
        messages.Should().Contain(t => t.StartsWith("building the probe set"));
        messages.Should().Contain("conv1, layer1.0.conv1: threshold pass, 5/40 images");
        messages.Should().Contain("conv1: IoU pass, 40/40 images (layer 1 of 2)");
        messages.Should().Contain(t => t.StartsWith("layer1.0.conv1: IoU pass"));
        var percentages = reports.Select(v => v.GetProperty("percentage").GetInt32()).ToList();
        percentages.Should().BeInAscendingOrder().And.OnlyContain(p => p >= 0 && p <= 100);
        percentages.Last().Should().Be(100);
        values.Last().GetProperty("message").GetString().Should().Be("conv1: 3/4 units labelled; layer1.0.conv1: 6/8 units labelled");
    }

    [Fact]
    public async Task Partial_results_send_each_layer_as_it_completes_and_leave_the_final_result_empty()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await DissectAsync(d, m, ["conv1"]); // cached: sent first, before any computing
        var result = await DissectAsync(d, m, ["layer1.0.conv1", "conv1"], workDone: "wd", partial: "pr");

        result.Layers.Should().BeEmpty();
        var partials = d.Client.ProgressValues(Token("pr")).Select(v => v.Deserialize<DissectResult>(ProtocolJson.Options)!).ToList();
        partials.Should().HaveCount(2).And.OnlyContain(p => p.Layers.Count == 1);
        partials.Select(p => p.Layers[0].Layer).Should().Equal("conv1", "layer1.0.conv1");
        partials[1].Layers[0].Units.Should().HaveCount(8);

        // The computed layer's partial came while the run was going, before its progress ended.
        var order = d.Client.Notifications.Where(n => n.GetProperty("method").GetString() == Methods.Progress)
            .Select(n => (Token: n.GetProperty("params").GetProperty("token").GetString(), Value: n.GetProperty("params").GetProperty("value")))
            .ToList();
        var partialAt = order.FindLastIndex(x => x.Token == "pr");
        var endAt = order.FindIndex(x => x.Token == "wd" && Kind(x.Value) == "end");
        partialAt.Should().BeLessThan(endAt);
    }

    [Fact]
    public async Task Without_a_token_the_daemon_creates_one_when_the_client_supports_it()
    {
        var (d, m) = await StartAsync(new { window = new { workDoneProgress = true } });
        await using var _ = d;
        await DissectAsync(d, m, ["conv1"]);

        var create = d.Client.ServerRequests.Should().ContainSingle().Subject;
        create.GetProperty("method").GetString().Should().Be(Methods.WorkDoneProgressCreate);
        var token = create.GetProperty("params").GetProperty("token");
        var values = d.Client.ProgressValues(token);
        values.Select(Kind).First().Should().Be("begin");
        values.Select(Kind).Last().Should().Be("end");
    }

    [Fact]
    public async Task Without_a_token_or_client_support_no_progress_is_sent()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await DissectAsync(d, m, ["conv1"]);
        d.Client.ServerRequests.Should().BeEmpty();
        d.Client.Notifications.Should().NotContain(n => n.GetProperty("method").GetString() == Methods.Progress);
    }

    [Fact]
    public async Task A_client_that_refuses_to_create_a_token_gets_its_result_without_progress()
    {
        var (d, m) = await StartAsync(new { window = new { workDoneProgress = true } });
        await using var _ = d;
        d.Client.AnswerServerRequest = _ => new RpcError(-32603, "no progress here", null);
        var result = await DissectAsync(d, m, ["conv1"]);
        result.Layers.Should().ContainSingle();
        d.Client.Notifications.Should().NotContain(n => n.GetProperty("method").GetString() == Methods.Progress);
    }

    [Fact]
    public async Task Cancel_request_stops_between_batches_with_request_cancelled_and_keeps_finished_layers()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Dissection.BatchGate = new SemaphoreSlim(0);
        var (id, response) = await d.Client.SendRequestAsync(Methods.Dissect,
            new DissectParams(m.ModelId, ["conv1", "layer1.0.conv1"], WorkDoneToken: Token("wd"), PartialResultToken: Token("pr")));

        // Thresholds pass (4 batches) and conv1's IoU pass (4 batches): conv1 is done.
        gate.Release(8);
        await d.Client.WaitForNotificationAsync(n => n.GetProperty("params").GetProperty("token").GetString() == "pr", Quick);
        await d.Dissection.BatchStarted.WaitAsync(Quick); // the 9th batch waits at the gate
        await d.Client.NotifyAsync(Methods.CancelRequest, new { id });
        var error = LspClient.ErrorOf(await response.WaitAsync(Quick));
        error!.Code.Should().Be(ErrorCodes.RequestCancelled);

        var end = d.Client.ProgressValues(Token("wd")).Last();
        Kind(end).Should().Be("end");
        end.GetProperty("message").GetString().Should().Be("Cancelled (1 of 2 layers done)");
        d.Client.ProgressValues(Token("pr")).Should().ContainSingle();

        d.Dissection.BatchGate = null;
        gate.Release(100);
        (await d.Client.CallAsync<LayerDissection?>(Methods.Dissection, new DissectionParams(m.ModelId, "conv1"))).Should().NotBeNull();
        (await d.Client.RequestAsync(Methods.Dissection, new DissectionParams(m.ModelId, "layer1.0.conv1"))).GetProperty("result").ValueKind
            .Should().Be(JsonValueKind.Null);
        // The daemon is fine and the device is free again.
        (await DissectAsync(d, m, ["layer1.0.conv1"])).Layers.Should().ContainSingle();
    }

    [Fact]
    public async Task Work_done_progress_cancel_on_a_daemon_token_cancels_the_request()
    {
        var (d, m) = await StartAsync(new { window = new { workDoneProgress = true } });
        await using var _ = d;
        var gate = d.Dissection.BatchGate = new SemaphoreSlim(0);
        var (_, response) = await d.Client.SendRequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        await d.Dissection.BatchStarted.WaitAsync(Quick);
        var token = d.Client.ServerRequests.Single().GetProperty("params").GetProperty("token");

        await d.Client.NotifyAsync(Methods.WorkDoneProgressCancel, new WorkDoneProgressCancelParams(token));
        var error = LspClient.ErrorOf(await response.WaitAsync(Quick));
        error!.Code.Should().Be(ErrorCodes.RequestCancelled);
        Kind(d.Client.ProgressValues(token).Last()).Should().Be("end");
        // A cancel for a token with nothing behind it is ignored.
        await d.Client.NotifyAsync(Methods.WorkDoneProgressCancel, new WorkDoneProgressCancelParams(Token("nothing")));
        (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models.Should().ContainSingle();
    }

    [Fact]
    public async Task Hovers_and_model_loads_do_not_wait_for_a_running_dissection()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Dissection.BatchGate = new SemaphoreSlim(0);
        var (_, response) = await d.Client.SendRequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        await d.Dissection.BatchStarted.WaitAsync(Quick);

        const string uri = "file:///work/net.py";
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(uri, "python", 1, "x = self.conv1(x)")));
        var hover = await d.Client.CallAsync<Hover?>(Methods.Hover, new HoverParams(new TextDocumentIdentifier(uri), new Position(0, 11)), Quick);
        hover!.Contents.Value.Should().Contain("Dissecting conv1 now");
        // A load (mutating) runs, and a hover after it too.
        var other = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("other.pth", "other")), Quick);
        (await d.Client.CallAsync<Hover?>(Methods.Hover, new HoverParams(new TextDocumentIdentifier(uri), new Position(0, 11)), Quick))
            .Should().NotBeNull();
        other.ModelId.Should().NotBe(m.ModelId);
        response.IsCompleted.Should().BeFalse();

        gate.Release(100);
        d.Dissection.BatchGate = null;
        LspClient.ErrorOf(await response.WaitAsync(Quick)).Should().BeNull();
    }

    [Fact]
    public async Task A_unit_map_runs_between_batches_of_a_dissection_on_the_same_device()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Dissection.BatchGate = new SemaphoreSlim(0);
        var (_, dissect) = await d.Client.SendRequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        await d.Dissection.BatchStarted.WaitAsync(Quick);

        var (_, map) = await d.Client.SendRequestAsync(Methods.UnitMap, new UnitMapParams(m.ModelId, "conv1", 1, d.Image()));
        await d.Engine.UnitMapStarted.WaitAsync(TimeSpan.FromMilliseconds(300)).ContinueWith(t => t.Result.Should().BeFalse("the dissection holds the device mid-batch"));
        gate.Release(); // the batch ends; the dissection hands the device over
        LspClient.ErrorOf(await map.WaitAsync(Quick)).Should().BeNull();
        dissect.IsCompleted.Should().BeFalse();

        d.Dissection.BatchGate = null;
        gate.Release(100);
        LspClient.ErrorOf(await dissect.WaitAsync(Quick)).Should().BeNull();
    }

    [Fact]
    public async Task Unloading_a_model_that_is_being_dissected_frees_it_when_the_dissection_ends()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Dissection.BatchGate = new SemaphoreSlim(0);
        var (_, response) = await d.Client.SendRequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        await d.Dissection.BatchStarted.WaitAsync(Quick);

        await d.Client.CallAsync<UnloadModelResult>(Methods.UnloadModel, new UnloadModelParams(m.ModelId), Quick);
        (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models.Should().BeEmpty();
        d.Engine.Disposed.Should().BeEmpty("the dissection still uses it");

        d.Dissection.BatchGate = null;
        gate.Release(100);
        LspClient.ErrorOf(await response.WaitAsync(Quick)).Should().BeNull();
        d.Engine.Disposed.Should().ContainSingle();
    }

    [Fact]
    public async Task An_engine_failure_ends_the_progress_and_answers_with_the_error()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.FailWith = new UnitScope.Engine.UnitScopeException(UnitScope.Engine.EngineErrorKind.BadImage, "probe image 7 is not a PNG");
        var response = await d.Client.RequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"], WorkDoneToken: Token("wd")));
        var error = LspClient.ErrorOf(response)!;
        error.Code.Should().Be(ErrorCodes.BadImage);
        error.Message.Should().Be("probe image 7 is not a PNG");
        d.Client.ProgressValues(Token("wd")).Last().GetProperty("message").GetString().Should().Be("Failed: probe image 7 is not a PNG");
    }

    public static TheoryData<object, int, string> BadRequests => new()
    {
        { new { modelId = "M", layers = Array.Empty<string>() }, ErrorCodes.InvalidParams, "layers is empty" },
        { new { modelId = "M", layers = new[] { "conv9" } }, ErrorCodes.UnknownLayer, "No layer 'conv9'" },
        { new { modelId = "M", layers = new[] { "fc" } }, ErrorCodes.InvalidArgument, "spatial output" },
        { new { modelId = "M", layers = new[] { "conv1" }, options = new { quantile = 0.9 } }, ErrorCodes.InvalidParams, "options.quantile" },
        { new { modelId = "M", layers = new[] { "conv1" }, options = new { topImages = 0 } }, ErrorCodes.InvalidParams, "options.topImages" },
        { new { modelId = "M", layers = new[] { "conv1" }, options = new { batchSize = 5000 } }, ErrorCodes.InvalidParams, "options.batchSize" },
        { new { modelId = "M", layers = new[] { "conv1" }, dataset = "/no/such/broden" }, ErrorCodes.FileNotFound, "Dataset folder not found" },
        { new { modelId = "nope", layers = new[] { "conv1" } }, ErrorCodes.UnknownModel, "No model with id 'nope'" },
        { new { modelId = "M" }, ErrorCodes.InvalidParams, "layers" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_documented_errors(object request, int code, string message)
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var json = JsonSerializer.Serialize(request).Replace("\"M\"", JsonSerializer.Serialize(m.ModelId));
        var error = await d.Client.CallExpectingErrorAsync(Methods.Dissect, JsonDocument.Parse(json).RootElement);
        error.Code.Should().Be(code);
        error.Message.Should().Contain(message);
        d.Dissection.Runs.Should().BeEmpty();
    }

    [Fact]
    public async Task A_broden_folder_is_named_in_the_results()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var folder = Directory.CreateDirectory(Path.Combine(d.Directory, "broden1_224")).FullName;
        var result = await DissectAsync(d, m, ["conv1"], dataset: folder);
        result.Layers[0].Dataset.Should().Be(folder);
        result.Layers[0].DatasetHash.Should().Be("broden-broden1_224");
        (await d.Client.RequestAsync(Methods.Dissection, new DissectionParams(m.ModelId, "conv1"))).GetProperty("result").ValueKind
            .Should().Be(JsonValueKind.Null, "the probe set has no dissection");
        (await d.Client.CallAsync<LayerDissection?>(Methods.Dissection, new DissectionParams(m.ModelId, "conv1", folder))).Should().NotBeNull();
    }

    [Fact]
    public async Task Unit_card_renders_a_dissected_unit()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var missing = await d.Client.CallExpectingErrorAsync(Methods.UnitCard, new UnitCardParams(m.ModelId, "conv1", 2));
        missing.Code.Should().Be(ErrorCodes.InvalidArgument);
        missing.Message.Should().Contain("no dissection");

        await DissectAsync(d, m, ["conv1"]);
        var card = await d.Client.CallAsync<UnitCardResult>(Methods.UnitCard, new UnitCardParams(m.ModelId, "conv1", 2));
        card.Should().BeEquivalentTo(new { Layer = "conv1", Unit = 2, Width = 64, Height = 32 });
        Convert.FromBase64String(card.Png)[^1].Should().Be(2);

        (await d.Client.CallExpectingErrorAsync(Methods.UnitCard, new UnitCardParams(m.ModelId, "conv1", 4))).Code.Should().Be(ErrorCodes.UnitOutOfRange);
    }
}
