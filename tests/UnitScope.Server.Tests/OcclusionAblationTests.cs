using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// unitscope/occlude, ablate, rankUnits and unitClassStats through the daemon, against a fake engine
/// that reports progress per batch: what reaches the engine, the orders and labels the daemon adds,
/// work-done progress and partial results, cancellation, leases and the device gate, and the
/// documented errors for bad requests (nothing runs for those).
/// </summary>
public class OcclusionAblationTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);

    private static JsonElement Token(string text) => JsonSerializer.SerializeToElement(text);

    private static string Kind(JsonElement value) => value.GetProperty("kind").GetString()!;

    private static async Task<(InProcessDaemon Daemon, ModelInfo Model)> StartAsync(object? capabilities = null)
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync(capabilities);
        var model = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("net.pth")));
        return (d, model);
    }

    private static List<string> Messages(InProcessDaemon d, string token) =>
        d.Client.ProgressValues(Token(token)).Where(v => Kind(v) == "report").Select(v => v.GetProperty("message").GetString()!).ToList();

    private static void ProgressBeganAndEnded(InProcessDaemon d, string token, string title, string end)
    {
        var values = d.Client.ProgressValues(Token(token));
        values.Select(Kind).First().Should().Be("begin");
        values[0].GetProperty("title").GetString().Should().Be(title);
        values[0].GetProperty("cancellable").GetBoolean().Should().BeTrue();
        values.Select(Kind).Last().Should().Be("end");
        values.Last().GetProperty("message").GetString().Should().Be(end);
        var percentages = values.Where(v => Kind(v) == "report").Select(v => v.GetProperty("percentage").GetInt32()).ToList();
        percentages.Should().NotBeEmpty().And.BeInAscendingOrder().And.OnlyContain(p => p >= 0 && p <= 100);
    }

    // Occlusion.

    [Fact]
    public async Task Occlude_passes_the_checked_settings_to_the_engine_and_reports_progress_per_batch()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var result = await d.Client.CallAsync<OccludeResult>(Methods.Occlude,
            new OccludeParams(m.ModelId, 3, 1, ImagePath: d.Image("cat.png"), WorkDoneToken: Token("wd")));

        d.Analysis.Runs.Should().ContainSingle().Which.Should().Be(new OcclusionSettings(3, 1, null, null, null, null, AnalysisChecks.DefaultBatchSize));
        (result.Rows, result.Columns).Should().Be((6, 6));
        result.Probability.Values.Should().HaveCount(36);
        result.MostProbable.Legend.Select(l => l.Label).Should().Equal("triangle", "circle");
        result.Activity.Should().BeNull();
        result.ClassNames.Should().Equal(FakeAnalysis.Classes);
        ProgressBeganAndEnded(d, "wd", "Occlusion of cat.png", "triangle: p = 0.67 unoccluded, 0.10 at the most sensitive position");
        Messages(d, "wd").Should().Contain(["occluding: 10/36 positions", "occluding: 36/36 positions"]);
    }

    [Fact]
    public async Task Occlude_with_a_layer_maps_its_strongest_unit_or_the_one_given()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var strongest = await d.Client.CallAsync<OccludeResult>(Methods.Occlude,
            new OccludeParams(m.ModelId, 4, 2, ImagePath: d.Image(), TargetClass: 1, Fill: [0.5f], Layer: " conv1 ", BatchSize: 7));
        strongest.Activity!.Strongest.Should().BeTrue();
        strongest.Activity.Layer.Should().Be("conv1");
        strongest.TargetClass.Should().Be(1);
        strongest.Fill.Should().Equal(0.5f, 0.5f, 0.5f);
        var given = await d.Client.CallAsync<OccludeResult>(Methods.Occlude,
            new OccludeParams(m.ModelId, 4, 2, ImageBase64: Convert.ToBase64String("IMG..."u8.ToArray()), Layer: "layer1.0.conv1", Unit: 7));
        given.Activity!.Unit.Should().Be(7);
        d.Analysis.Runs.Cast<OcclusionSettings>().Select(s => (s.Layer, s.Unit, s.BatchSize, s.Fill?.Count))
            .Should().Equal(("conv1", null, 7, 1), ("layer1.0.conv1", 7, 32, null));
    }

    public static TheoryData<object, int, string> BadOcclusions => new()
    {
        { new { modelId = "M", size = 0, stride = 1, imagePath = "IMAGE" }, ErrorCodes.InvalidParams, "size must be from 1 to 8" },
        { new { modelId = "M", size = 9, stride = 1, imagePath = "IMAGE" }, ErrorCodes.InvalidParams, "size must be from 1 to 8" },
        { new { modelId = "M", size = 2, stride = 0, imagePath = "IMAGE" }, ErrorCodes.InvalidParams, "stride" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "IMAGE", fill = new[] { 0.1, 0.2 } }, ErrorCodes.InvalidParams, "fill needs 1 or 3 values" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "IMAGE", fill = new[] { 2.0 } }, ErrorCodes.InvalidParams, "fill values must be in [0, 1]" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "IMAGE", targetClass = 3 }, ErrorCodes.InvalidArgument, "targetClass 3 is out of range" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "IMAGE", layer = "conv9" }, ErrorCodes.UnknownLayer, "No layer 'conv9'" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "IMAGE", layer = "fc" }, ErrorCodes.InvalidArgument, "spatial output" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "IMAGE", layer = "conv1", unit = 4 }, ErrorCodes.UnitOutOfRange, "Unit 4 is out of range for conv1" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "IMAGE", unit = 1 }, ErrorCodes.InvalidParams, "unit needs a layer" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "IMAGE", batchSize = 0 }, ErrorCodes.InvalidParams, "batchSize" },
        { new { modelId = "M", size = 2, stride = 1, imagePath = "/no/such/image.png" }, ErrorCodes.FileNotFound, "Image file not found" },
        { new { modelId = "M", size = 2, stride = 1, imageBase64 = "%%%" }, ErrorCodes.InvalidParams, "not valid base64" },
        { new { modelId = "M", size = 2, stride = 1, imageBase64 = "bm90IGFuIGltYWdl" }, ErrorCodes.BadImage, "not an image" },
        { new { modelId = "M", size = 2, stride = 1 }, ErrorCodes.InvalidParams, "An image is required" },
        { new { modelId = "M", stride = 1, imagePath = "IMAGE" }, ErrorCodes.InvalidParams, "size" },
        { new { modelId = "nope", size = 2, stride = 1, imagePath = "IMAGE" }, ErrorCodes.UnknownModel, "No model with id 'nope'" },
    };

    [Theory]
    [MemberData(nameof(BadOcclusions))]
    public async Task Bad_occlusions_get_documented_errors(object request, int code, string message)
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await CheckError(d, m, Methods.Occlude, request, code, message);
    }

    private static async Task CheckError(InProcessDaemon d, ModelInfo m, string method, object request, int code, string message)
    {
        var json = JsonSerializer.Serialize(request).Replace("\"M\"", JsonSerializer.Serialize(m.ModelId))
            .Replace("\"IMAGE\"", JsonSerializer.Serialize(d.Image()))
            .Replace("\"FOLDER\"", JsonSerializer.Serialize(d.Directory));
        var error = await d.Client.CallExpectingErrorAsync(method, JsonDocument.Parse(json).RootElement);
        error.Code.Should().Be(code, error.Message);
        error.Message.Should().Contain(message);
        d.Analysis.Runs.Should().BeEmpty();
        d.Client.Notifications.Should().NotContain(n => n.GetProperty("method").GetString() == Methods.Progress, "nothing began");
    }

    [Fact]
    public async Task Cancelling_an_occlusion_stops_it_between_batches_and_frees_the_device()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Analysis.BatchGate = new SemaphoreSlim(0);
        var (id, response) = await d.Client.SendRequestAsync(Methods.Occlude,
            new OccludeParams(m.ModelId, 2, 1, ImagePath: d.Image(), WorkDoneToken: Token("wd")));
        gate.Release();
        await d.Analysis.BatchStarted.WaitAsync(Quick);
        await d.Analysis.BatchStarted.WaitAsync(Quick); // the second batch waits at the gate
        await d.Client.NotifyAsync(Methods.CancelRequest, new { id });

        LspClient.ErrorOf(await response.WaitAsync(Quick))!.Code.Should().Be(ErrorCodes.RequestCancelled);
        d.Client.ProgressValues(Token("wd")).Last().GetProperty("message").GetString().Should().Be("Cancelled");
        d.Analysis.BatchGate = null;
        (await d.Client.CallAsync<UnitMapResult>(Methods.UnitMap, new UnitMapParams(m.ModelId, "conv1", 0, d.Image()), Quick)).Unit.Should().Be(0);
    }

    // Ablation.

    [Fact]
    public async Task Ablate_sorts_classes_by_change_and_reports_each_pass()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var result = await d.Client.CallAsync<AblateResult>(Methods.Ablate,
            new AblateParams(m.ModelId, "layer1.0.conv1", [5, 2, 5], WorkDoneToken: Token("wd")));

        d.Analysis.Runs.Should().ContainSingle().Which.Should().BeEquivalentTo(new AblationSettings("layer1.0.conv1", [2, 5], true, 1, null, 32));
        result.Units.Should().Equal(2, 5);
        result.EvaluationSet.Should().Be("probe");
        result.Classes.Select(c => c.Label).Should().Equal("square", "circle", "triangle");
        result.Control!.UnitSets.Should().HaveCount(3).And.OnlyContain(s => s.Count == 2);
        ProgressBeganAndEnded(d, "wd", "Ablating 2 units of layer1.0.conv1", "overall accuracy 90.0% → 66.7% (random control: 86.7%)");
        var messages = Messages(d, "wd");
        messages.Should().Contain(t => t.StartsWith("building the probe set"));
        messages.Should().Contain(["zeroing units: 10/150 evaluations", "zeroing units: 150/150 evaluations"]);
        d.Client.ProgressValues(Token("wd")).Where(v => Kind(v) == "report").Last().GetProperty("percentage").GetInt32().Should().Be(100);
    }

    [Fact]
    public async Task Ablate_without_a_control_on_an_image_folder_names_the_folder()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var folder = Directory.CreateDirectory(Path.Combine(d.Directory, "eval")).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "circle"));
        var result = await d.Client.CallAsync<AblateResult>(Methods.Ablate,
            new AblateParams(m.ModelId, "fc", [0], folder, RandomControl: false, Seed: 4, MaxImages: 5, BatchSize: 8));
        result.EvaluationSet.Should().Be(folder);
        result.Control.Should().BeNull();
        d.Analysis.Runs.Should().ContainSingle().Which.Should().BeEquivalentTo(new AblationSettings("fc", [0], false, 4, 5, 8));
        d.Analysis.ProbeBuilt.Should().BeFalse();
    }

    public static TheoryData<object, int, string> BadAblations => new()
    {
        { new { modelId = "M", layer = "conv9", units = new[] { 0 } }, ErrorCodes.UnknownLayer, "No layer 'conv9'" },
        { new { modelId = "M", layer = "conv1", units = new[] { 1, 4 } }, ErrorCodes.UnitOutOfRange, "Unit 4 is out of range for conv1 (4 units: 0 to 3)" },
        { new { modelId = "M", layer = "conv1", units = new[] { -1 } }, ErrorCodes.UnitOutOfRange, "Unit -1" },
        { new { modelId = "M", layer = "conv1", units = Array.Empty<int>() }, ErrorCodes.InvalidParams, "units is empty" },
        { new { modelId = "M", layer = "", units = new[] { 0 } }, ErrorCodes.InvalidParams, "layer is empty" },
        { new { modelId = "M", layer = "conv1", units = new[] { 0 }, evaluationSet = "/no/such/folder" }, ErrorCodes.FileNotFound, "Evaluation set folder not found" },
        { new { modelId = "M", layer = "conv1", units = new[] { 0 }, evaluationSet = "IMAGE" }, ErrorCodes.FileNotFound, "is a file" },
        { new { modelId = "M", layer = "conv1", units = new[] { 0 }, batchSize = 2000 }, ErrorCodes.InvalidParams, "batchSize" },
        { new { modelId = "M", layer = "conv1", units = new[] { 0 }, maxImages = 0 }, ErrorCodes.InvalidParams, "maxImages" },
        { new { modelId = "M", layer = "conv1" }, ErrorCodes.InvalidParams, "units" },
    };

    [Theory]
    [MemberData(nameof(BadAblations))]
    public async Task Bad_ablations_get_documented_errors(object request, int code, string message)
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await CheckError(d, m, Methods.Ablate, request, code, message);
    }

    [Fact]
    public async Task A_folder_that_is_not_an_image_folder_fails_after_progress_began()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var empty = Directory.CreateDirectory(Path.Combine(d.Directory, "empty")).FullName;
        var error = await d.Client.CallExpectingErrorAsync(Methods.Ablate, new AblateParams(m.ModelId, "conv1", [0], empty, WorkDoneToken: Token("wd")));
        error.Code.Should().Be(ErrorCodes.InvalidArgument);
        error.Message.Should().Contain("is not an ImageFolder");
        d.Client.ProgressValues(Token("wd")).Last().GetProperty("message").GetString().Should().StartWith("Failed: ").And.Contain("not an ImageFolder");
        d.Analysis.Runs.Should().BeEmpty();
    }

    [Fact]
    public async Task An_engine_failure_mid_ablation_ends_the_progress_and_answers_with_the_error()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Analysis.FailWith = new UnitScope.Engine.UnitScopeException(UnitScope.Engine.EngineErrorKind.BadImage, "eval/cat/3.png is not a PNG");
        var error = await d.Client.CallExpectingErrorAsync(Methods.Ablate, new AblateParams(m.ModelId, "conv1", [0], WorkDoneToken: Token("wd")));
        error.Code.Should().Be(ErrorCodes.BadImage);
        error.Message.Should().Be("eval/cat/3.png is not a PNG");
        d.Client.ProgressValues(Token("wd")).Last().GetProperty("message").GetString().Should().Be("Failed: eval/cat/3.png is not a PNG");
    }

    [Fact]
    public async Task An_evaluation_set_whose_classes_are_not_the_models_is_a_class_mismatch_clients_can_branch_on()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Analysis.FailWith = new UnitScope.Engine.UnitScopeException(UnitScope.Engine.EngineErrorKind.ClassMismatch, "None of the classes of probe match");
        var error = await d.Client.CallExpectingErrorAsync(Methods.Ablate, new AblateParams(m.ModelId, "conv1", [0]));
        error.Code.Should().Be(ErrorCodes.ClassMismatch);
        error.Kind.Should().Be(nameof(ErrorKind.ClassMismatch));
        error.Message.Should().Be("None of the classes of probe match");
    }

    [Fact]
    public async Task Work_done_progress_cancel_on_a_daemon_token_cancels_an_ablation()
    {
        var (d, m) = await StartAsync(new { window = new { workDoneProgress = true } });
        await using var _ = d;
        var gate = d.Analysis.BatchGate = new SemaphoreSlim(0);
        var (_, response) = await d.Client.SendRequestAsync(Methods.Ablate, new AblateParams(m.ModelId, "conv1", [1]));
        await d.Analysis.BatchStarted.WaitAsync(Quick);
        var token = d.Client.ServerRequests.Single().GetProperty("params").GetProperty("token");

        await d.Client.NotifyAsync(Methods.WorkDoneProgressCancel, new WorkDoneProgressCancelParams(token));
        LspClient.ErrorOf(await response.WaitAsync(Quick))!.Code.Should().Be(ErrorCodes.RequestCancelled);
        d.Client.ProgressValues(token).Last().GetProperty("message").GetString().Should().Be("Cancelled");
    }

    [Fact]
    public async Task Hovers_loads_and_unit_maps_do_not_wait_for_an_ablation_and_an_unload_frees_the_model_when_it_ends()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Analysis.BatchGate = new SemaphoreSlim(0);
        var (_, ablation) = await d.Client.SendRequestAsync(Methods.Ablate, new AblateParams(m.ModelId, "conv1", [1]));
        await d.Analysis.BatchStarted.WaitAsync(Quick);

        const string uri = "file:///work/net.py";
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(uri, "python", 1, "x = self.conv1(x)")));
        (await d.Client.CallAsync<Hover?>(Methods.Hover, new HoverParams(new TextDocumentIdentifier(uri), new Position(0, 11)), Quick)).Should().NotBeNull();
        // A unit map waits for the batch that holds the device, then runs before the next one.
        var (_, map) = await d.Client.SendRequestAsync(Methods.UnitMap, new UnitMapParams(m.ModelId, "conv1", 1, d.Image()));
        (await d.Engine.UnitMapStarted.WaitAsync(TimeSpan.FromMilliseconds(300))).Should().BeFalse("the ablation holds the device mid-batch");
        gate.Release();
        LspClient.ErrorOf(await map.WaitAsync(Quick)).Should().BeNull();

        await d.Client.CallAsync<UnloadModelResult>(Methods.UnloadModel, new UnloadModelParams(m.ModelId), Quick);
        d.Engine.Disposed.Should().BeEmpty("the ablation still uses it");
        ablation.IsCompleted.Should().BeFalse();
        d.Analysis.BatchGate = null;
        gate.Release(100);
        LspClient.ErrorOf(await ablation.WaitAsync(Quick)).Should().BeNull();
        d.Engine.Disposed.Should().ContainSingle();
    }

    // Ranking units.

    [Fact]
    public async Task Rank_units_orders_by_drop_with_dissected_labels_and_the_curve()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await d.Client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        var result = await d.Client.CallAsync<RankUnitsResult>(Methods.RankUnits,
            new RankUnitsParams(m.ModelId, "conv1", 1, Metric: RankMetric.LogProbability, WorkDoneToken: Token("wd")));

        d.Analysis.Runs.Should().ContainSingle().Which.Should().Be(new RankSettings("conv1", 1, RankMetric.LogProbability, 4, 5, null, 32));
        result.Units.Select(u => u.Unit).Should().Equal(3, 1, 0, 2);
        result.Units.Select(u => u.Label?.Concept).Should().Equal("red", "circle", "red", null);
        result.Units[0].After.Should().BeApproximately(0.4, 1e-9);
        result.Curve!.Select(p => p.K).Should().Equal(1, 2, 3, 4);
        result.CurvePng.Should().NotBeNull();
        result.Metric.Should().Be(RankMetric.LogProbability);
        ProgressBeganAndEnded(d, "wd", "Ranking units of conv1 for square", "square: unit 3 matters most (drop 0.50)");
        Messages(d, "wd").Should().Contain(["zeroing each unit alone: 20/40 evaluations", "top-k vs random-k: 4/4 evaluations"]);
    }

    [Fact]
    public async Task Rank_units_sends_measured_units_as_partial_results_and_an_empty_list_in_the_response()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await d.Client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(m.ModelId, ["layer1.0.conv1"]));
        var result = await d.Client.CallAsync<RankUnitsResult>(Methods.RankUnits,
            new RankUnitsParams(m.ModelId, "layer1.0.conv1", 0, Top: 50, WorkDoneToken: Token("wd"), PartialResultToken: Token("pr")));

        result.Units.Should().BeEmpty();
        result.Curve!.Select(p => p.K).Should().Equal(1, 2, 3, 4, 5, 6, 7, 8);
        var partials = d.Client.ProgressValues(Token("pr")).Select(v => v.Deserialize<RankUnitsResult>(ProtocolJson.Options)!).ToList();
        partials.Should().HaveCount(4).And.OnlyContain(p => p.Units.Count == 2 && p.Curve == null && p.CurvePng == null && p.EvaluationSet == "probe");
        partials.SelectMany(p => p.Units).Select(u => u.Unit).Should().Equal(0, 1, 2, 3, 4, 5, 6, 7);
        partials[0].Units[0].Label!.Concept.Should().Be("red");
        partials[0].Units[0].After.Should().BeNull("the metric before is known only at the end");
        partials[1].Units[0].Label.Should().BeNull("unit 2 is unlabelled");
    }

    [Fact]
    public async Task Labels_come_from_the_dissection_on_the_dataset_the_client_chose_for_its_hovers()
    {
        var d = new InProcessDaemon();
        await using var _ = d;
        var broden = Directory.CreateDirectory(Path.Combine(d.Directory, "broden")).FullName;
        await d.Client.CallAsync<InitializeResult>(Methods.Initialize,
            new InitializeParams(InitializationOptions: new InitializationOptions(Dataset: broden)));
        await d.Client.NotifyAsync(Methods.Initialized, new { });
        var m = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("net.pth")));
        await d.Client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"])); // on the probe set: not this client's
        var before = await d.Client.CallAsync<RankUnitsResult>(Methods.RankUnits, new RankUnitsParams(m.ModelId, "conv1", 0));
        before.Units.Should().OnlyContain(u => u.Label == null);
        await d.Client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"], broden));
        var after = await d.Client.CallAsync<RankUnitsResult>(Methods.RankUnits, new RankUnitsParams(m.ModelId, "conv1", 0));
        after.Units.Single(u => u.Unit == 0).Label!.Concept.Should().Be("red");
        (await d.Client.CallAsync<UnitClassStatsResult>(Methods.UnitClassStats, new UnitClassStatsParams(m.ModelId, "conv1", 1, 0))).Label!.Concept
            .Should().Be("circle");
    }

    [Fact]
    public async Task Units_the_engine_did_not_tell_as_it_went_come_in_a_last_partial_result()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Analysis.TellsMeasuredUnits = false;
        var result = await d.Client.CallAsync<RankUnitsResult>(Methods.RankUnits,
            new RankUnitsParams(m.ModelId, "conv1", 0, PartialResultToken: Token("pr")));
        result.Units.Should().BeEmpty();
        var partial = d.Client.ProgressValues(Token("pr")).Should().ContainSingle().Subject.Deserialize<RankUnitsResult>(ProtocolJson.Options)!;
        partial.Units.Select(u => u.Unit).Should().Equal(3, 1, 0, 2);
        partial.Units.Should().OnlyContain(u => u.After != null);
    }

    public static TheoryData<object, int, string> BadRankings => new()
    {
        { new { modelId = "M", layer = "conv1", @class = 3 }, ErrorCodes.InvalidArgument, "class 3 is out of range: the model has 3 classes" },
        { new { modelId = "M", layer = "conv1", @class = 0, top = 0 }, ErrorCodes.InvalidParams, "top must be positive" },
        { new { modelId = "M", layer = "conv1", @class = 0, randomDraws = 0 }, ErrorCodes.InvalidParams, "randomDraws" },
        { new { modelId = "M", layer = "conv1", @class = 0, metric = "entropy" }, ErrorCodes.InvalidParams, "Invalid params" },
        { new { modelId = "M", layer = "nope", @class = 0 }, ErrorCodes.UnknownLayer, "No layer 'nope'" },
        { new { modelId = "M", layer = "conv1", @class = 0, evaluationSet = "/no/such/folder" }, ErrorCodes.FileNotFound, "Evaluation set folder not found" },
    };

    [Theory]
    [MemberData(nameof(BadRankings))]
    public async Task Bad_rankings_get_documented_errors(object request, int code, string message)
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await CheckError(d, m, Methods.RankUnits, request, code, message);
    }

    [Fact]
    public async Task Cancelling_a_ranking_keeps_the_partial_results_already_sent()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Analysis.BatchGate = new SemaphoreSlim(0);
        var (id, response) = await d.Client.SendRequestAsync(Methods.RankUnits,
            new RankUnitsParams(m.ModelId, "conv1", 0, WorkDoneToken: Token("wd"), PartialResultToken: Token("pr")));
        gate.Release(1); // the first two units
        await d.Client.WaitForNotificationAsync(n => n.GetProperty("params").GetProperty("token").GetString() == "pr", Quick);
        await d.Client.NotifyAsync(Methods.CancelRequest, new { id });
        LspClient.ErrorOf(await response.WaitAsync(Quick))!.Code.Should().Be(ErrorCodes.RequestCancelled);
        d.Client.ProgressValues(Token("pr")).Should().ContainSingle();
        Kind(d.Client.ProgressValues(Token("wd")).Last()).Should().Be("end");
    }

    // Single-unit statistics.

    [Fact]
    public async Task Unit_class_stats_come_with_the_units_dissected_label()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var before = await d.Client.CallAsync<UnitClassStatsResult>(Methods.UnitClassStats, new UnitClassStatsParams(m.ModelId, "conv1", 1, 2));
        before.Label.Should().BeNull();
        before.ClassLabel.Should().Be("triangle");
        before.EvaluationSet.Should().Be("probe");
        await d.Client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        var after = await d.Client.CallAsync<UnitClassStatsResult>(Methods.UnitClassStats,
            new UnitClassStatsParams(m.ModelId, "conv1", 1, 2, WorkDoneToken: Token("wd")));
        after.Label!.Concept.Should().Be("circle");
        after.InClass.Mean.Should().Be(3);
        ProgressBeganAndEnded(d, "wd", "Unit 1 of conv1 on triangle", "unit 1: mean 3.00 on triangle vs 0.50 on the rest (AUC 0.95)");
    }

    public static TheoryData<object, int, string> BadStats => new()
    {
        { new { modelId = "M", layer = "conv1", unit = 9, @class = 0 }, ErrorCodes.UnitOutOfRange, "Unit 9 is out of range for conv1" },
        { new { modelId = "M", layer = "conv1", unit = 0, @class = -1 }, ErrorCodes.InvalidArgument, "class -1 is out of range" },
        { new { modelId = "M", layer = "conv7", unit = 0, @class = 0 }, ErrorCodes.UnknownLayer, "No layer 'conv7'" },
    };

    [Theory]
    [MemberData(nameof(BadStats))]
    public async Task Bad_unit_class_stats_get_documented_errors(object request, int code, string message)
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await CheckError(d, m, Methods.UnitClassStats, request, code, message);
    }
}
