using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>Bad input never ends the daemon: each error has its documented code, then it keeps serving.</summary>
public class ErrorTests
{
    private static async Task<InProcessDaemon> StartWithModelAsync()
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync();
        await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("good.pth")));
        return d;
    }

    /// <summary>After any error: a good request works and the model is still there.</summary>
    private static async Task StillServes(InProcessDaemon d)
    {
        var models = await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams());
        models.Models.Should().ContainSingle();
        var map = await d.Client.CallAsync<UnitMapResult>(Methods.UnitMap, new UnitMapParams(models.Models[0].ModelId, "conv1", 0, d.Image()));
        map.Values.Should().HaveCount(6);
    }

    [Fact]
    public async Task Malformed_json_gets_parse_error_with_null_id()
    {
        await using var d = await StartWithModelAsync();
        await d.Client.SendRawAsync("{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"unitscope/listModels\",\"params\":{");
        var response = await d.Client.NextUnmatchedResponseAsync();
        response.GetProperty("id").ValueKind.Should().Be(JsonValueKind.Null);
        LspClient.ErrorOf(response)!.Code.Should().Be(ErrorCodes.ParseError);
        await StillServes(d);
    }

    [Theory]
    [InlineData("[1, 2, 3]")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":5}")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":5}")]
    public async Task Json_that_is_not_a_message_gets_invalid_request(string body)
    {
        await using var d = await StartWithModelAsync();
        await d.Client.SendRawAsync(body);
        var response = await d.Client.NextUnmatchedResponseAsync();
        LspClient.ErrorOf(response)!.Code.Should().Be(ErrorCodes.InvalidRequest);
        await StillServes(d);
    }

    [Fact]
    public async Task Unknown_method_gets_method_not_found()
    {
        await using var d = await StartWithModelAsync();
        var error = await d.Client.CallExpectingErrorAsync("unitscope/noSuchMethod", new { });
        error.Code.Should().Be(ErrorCodes.MethodNotFound);
        error.Message.Should().Contain("unitscope/noSuchMethod");
        await StillServes(d);
    }

    [Fact]
    public async Task Unknown_notification_is_ignored()
    {
        await using var d = await StartWithModelAsync();
        await d.Client.NotifyAsync("$/setTrace", new { value = "off" });
        await StillServes(d);
    }

    [Fact]
    public async Task Missing_required_property_gets_invalid_params()
    {
        await using var d = await StartWithModelAsync();
        var error = await d.Client.CallExpectingErrorAsync(Methods.LoadModel, new { architecture = "fakenet" });
        error.Code.Should().Be(ErrorCodes.InvalidParams);
        error.Message.Should().Contain("path");
        await StillServes(d);
    }

    [Fact]
    public async Task Wrong_property_type_gets_invalid_params()
    {
        await using var d = await StartWithModelAsync();
        var error = await d.Client.CallExpectingErrorAsync(Methods.UnitMap, new { modelId = "x", layer = "conv1", unit = "three", imagePath = "a.png" });
        error.Code.Should().Be(ErrorCodes.InvalidParams);
        await StillServes(d);
    }

    [Fact]
    public async Task Missing_params_get_invalid_params()
    {
        await using var d = await StartWithModelAsync();
        var error = await d.Client.CallExpectingErrorAsync(Methods.ListLayers, null);
        error.Code.Should().Be(ErrorCodes.InvalidParams);
        await StillServes(d);
    }

    [Theory]
    [InlineData("missing", ErrorCodes.FileNotFound, "FileNotFound", "not found")]
    [InlineData("corrupt", ErrorCodes.CorruptCheckpoint, "CorruptCheckpoint", "truncated")]
    [InlineData("unsafe", ErrorCodes.UnsafeCheckpoint, "UnsafeCheckpoint", "os.system")]
    public async Task Engine_errors_map_to_their_codes_and_kind(string content, int code, string kind, string message)
    {
        await using var d = await StartWithModelAsync();
        var path = content == "missing" ? Path.Combine(d.Directory, "missing.pth") : d.Checkpoint($"{content}.pth", content);
        var error = await d.Client.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(path));
        error.Code.Should().Be(code);
        error.Kind.Should().Be(kind);
        error.Message.Should().Contain(message);
        await StillServes(d);
    }

    [Fact]
    public async Task Wrong_architecture_gets_architecture_mismatch()
    {
        await using var d = await StartWithModelAsync();
        var error = await d.Client.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(d.Checkpoint("other.pth", "other"), Architecture: "vgg16"));
        error.Code.Should().Be(ErrorCodes.ArchitectureMismatch);
        await StillServes(d);
    }

    [Fact]
    public async Task Unexpected_exception_gets_internal_error_and_is_logged()
    {
        await using var d = await StartWithModelAsync();
        var error = await d.Client.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(d.Checkpoint("crash.pth", "crash")));
        error.Code.Should().Be(ErrorCodes.InternalError);
        error.Message.Should().Contain("the fake engine crashed");
        d.Log.Should().Contain("the fake engine crashed");
        await StillServes(d);
    }

    [Fact]
    public async Task Unknown_model_id()
    {
        await using var d = await StartWithModelAsync();
        var error = await d.Client.CallExpectingErrorAsync(Methods.ListLayers, new ListLayersParams("nope"));
        error.Code.Should().Be(ErrorCodes.UnknownModel);
        error.Kind.Should().Be("UnknownModel");
        error.Message.Should().Contain("nope");
        await StillServes(d);
    }

    [Fact]
    public async Task Unknown_layer_and_unit_out_of_range()
    {
        await using var d = await StartWithModelAsync();
        var id = (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models[0].ModelId;

        var layer = await d.Client.CallExpectingErrorAsync(Methods.UnitMap, new UnitMapParams(id, "conv9", 0, d.Image()));
        layer.Code.Should().Be(ErrorCodes.UnknownLayer);
        layer.Message.Should().Contain("conv9");
        await StillServes(d);

        var unit = await d.Client.CallExpectingErrorAsync(Methods.UnitMap, new UnitMapParams(id, "conv1", 4, d.Image()));
        unit.Code.Should().Be(ErrorCodes.UnitOutOfRange);
        unit.Kind.Should().Be("UnitOutOfRange");
        await StillServes(d);
    }

    [Fact]
    public async Task Image_arguments_are_checked()
    {
        await using var d = await StartWithModelAsync();
        var id = (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models[0].ModelId;

        (await d.Client.CallExpectingErrorAsync(Methods.Predict, new PredictParams(id))).Code.Should().Be(ErrorCodes.InvalidParams);
        (await d.Client.CallExpectingErrorAsync(Methods.Predict, new PredictParams(id, d.Image(), "SU1H"))).Code.Should().Be(ErrorCodes.InvalidParams);
        (await d.Client.CallExpectingErrorAsync(Methods.Predict, new PredictParams(id, ImageBase64: "@@not base64@@"))).Code.Should().Be(ErrorCodes.InvalidParams);
        (await d.Client.CallExpectingErrorAsync(Methods.Predict, new PredictParams(id, ImageBase64: Convert.ToBase64String("GIF89a"u8.ToArray())))).Code.Should().Be(ErrorCodes.BadImage);
        (await d.Client.CallExpectingErrorAsync(Methods.Predict, new PredictParams(id, Path.Combine(d.Directory, "none.png")))).Code.Should().Be(ErrorCodes.FileNotFound);
        (await d.Client.CallExpectingErrorAsync(Methods.Predict, new PredictParams(id, d.Image(), Top: 0))).Code.Should().Be(ErrorCodes.InvalidParams);
        (await d.Client.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(d.Checkpoint("b.pth"), InputSize: [1, 2, 3]))).Code.Should().Be(ErrorCodes.InvalidParams);
        await StillServes(d);
    }

    [Fact]
    public async Task Mean_and_std_on_the_0_to_255_scale_are_refused_with_what_to_give()
    {
        await using var d = await StartWithModelAsync();
        var mean = await d.Client.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(d.Checkpoint("b.pth"), Mean: [125.3f, 123.0f, 113.9f]));
        mean.Code.Should().Be(ErrorCodes.InvalidParams);
        mean.Message.Should().Contain("mean [125.3, 123, 113.9]").And.Contain("divide by 255: 0.4914,0.4824,0.4467");
        var std = await d.Client.CallExpectingErrorAsync(Methods.WriteModelDescription,
            new WriteModelDescriptionParams(d.Checkpoint("b.pth"), Std: [63.0f, 62.1f, 66.7f]));
        std.Code.Should().Be(ErrorCodes.InvalidParams);
        std.Message.Should().Contain("std").And.Contain("divide by 255: 0.2471,0.2435,0.2616");
        File.Exists(Path.ChangeExtension(d.Checkpoint("b.pth"), ".unitscope.json")).Should().BeFalse("nothing is written");
        await StillServes(d);
    }

    [Fact]
    public async Task Cancel_request_cancels_a_running_request()
    {
        await using var d = await StartWithModelAsync();
        var id = (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models[0].ModelId;
        d.Engine.UnitMapGate = new TaskCompletionSource();

        var (running, runningResponse) = await d.Client.SendRequestAsync(Methods.UnitMap, new UnitMapParams(id, "conv1", 0, d.Image()));
        (await d.Engine.UnitMapStarted.WaitAsync(TimeSpan.FromSeconds(10))).Should().BeTrue();
        // A second one queues behind it on the device, and is cancelled while waiting.
        var (queued, queuedResponse) = await d.Client.SendRequestAsync(Methods.UnitMap, new UnitMapParams(id, "conv1", 1, d.Image()));
        await Task.Delay(100);
        await d.Client.NotifyAsync(Methods.CancelRequest, new { id = queued });
        var cancelled = LspClient.ErrorOf(await queuedResponse.WaitAsync(TimeSpan.FromSeconds(10)));
        cancelled!.Code.Should().Be(ErrorCodes.RequestCancelled);

        // The running one is cancelled too; the fake forward pass cannot stop, so its result is dropped.
        await d.Client.NotifyAsync(Methods.CancelRequest, new { id = running });
        await Task.Delay(500); // let the daemon read the cancellation before the forward pass ends
        d.Engine.UnitMapGate.SetResult();
        LspClient.ErrorOf(await runningResponse.WaitAsync(TimeSpan.FromSeconds(10)))!.Code.Should().Be(ErrorCodes.RequestCancelled);

        d.Engine.UnitMapGate = null;
        await StillServes(d);
    }
}
