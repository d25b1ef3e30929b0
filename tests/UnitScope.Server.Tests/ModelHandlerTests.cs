using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>unitscope/* handlers against the fake engine.</summary>
public class ModelHandlerTests
{
    [Fact]
    public async Task Load_describes_the_model()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var path = d.Checkpoint("net.pth");
        var info = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(path, InputSize: [16, 12]));
        info.Path.Should().Be(path);
        info.Architecture.Should().Be("fakenet");
        info.CheckpointHash.Should().HaveLength(64);
        info.ModelId.Should().Be(info.CheckpointHash[..8]);
        info.Input.Should().BeEquivalentTo(new { Channels = 3, Height = 16, Width = 12 });
        info.Layers.Select(l => l.Name).Should().Equal(FakeEngine.Layers.Select(l => l.Name));
        info.Layers[0].OutputShape.Should().Equal(4, 8, 8);
        info.Device.Should().Be("cpu");
    }

    [Fact]
    public async Task Loading_the_same_bytes_with_the_same_options_returns_the_loaded_model()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var a = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a.pth", "weights")));
        var copy = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("copy-of-a.pth", "weights")));
        var again = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(Path.Combine(d.Directory, "a.pth")));
        copy.ModelId.Should().Be(a.ModelId);
        again.ModelId.Should().Be(a.ModelId);
        d.Engine.LoadCount.Should().Be(1);

        var other = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a2.pth", "weights"), InputSize: [16, 16]));
        other.ModelId.Should().NotBe(a.ModelId).And.StartWith(a.ModelId);
        d.Engine.LoadCount.Should().Be(2);
    }

    [Fact]
    public async Task The_last_loaded_or_reloaded_model_is_active()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var a = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a.pth", "A")));
        var b = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("b.pth", "B")));
        (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).ActiveModelId.Should().Be(b.ModelId);
        await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(Path.Combine(d.Directory, "a.pth")));
        var list = await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams());
        list.ActiveModelId.Should().Be(a.ModelId);
        list.Models.Select(m => m.ModelId).Should().Equal(a.ModelId, b.ModelId);
    }

    [Fact]
    public async Task Unload_frees_one_model_and_keeps_the_others()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var a = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a.pth", "A")));
        var b = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("b.pth", "B")));
        var result = await d.Client.RequestAsync(Methods.UnloadModel, new UnloadModelParams(b.ModelId));
        result.GetProperty("result").ValueKind.Should().Be(JsonValueKind.Object);
        d.Engine.Disposed.Should().ContainSingle();

        var list = await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams());
        list.Models.Select(m => m.ModelId).Should().Equal(a.ModelId);
        list.ActiveModelId.Should().Be(a.ModelId);
        (await d.Client.CallExpectingErrorAsync(Methods.UnloadModel, new UnloadModelParams(b.ModelId))).Code.Should().Be(ErrorCodes.UnknownModel);
        (await d.Client.CallAsync<ListLayersResult>(Methods.ListLayers, new ListLayersParams(a.ModelId))).Layers.Should().HaveCount(FakeEngine.Layers.Count);
    }

    [Fact]
    public async Task Predict_returns_logits_probabilities_and_top()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var a = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a.pth")));
        var p = await d.Client.CallAsync<PredictResult>(Methods.Predict, new PredictParams(a.ModelId, d.Image(), Top: 2));
        p.Logits.Should().Equal(1f, 2f, 3f);
        p.Top.Should().HaveCount(2);
        p.Top[0].Should().Be(new ClassScore(2, "triangle", 0.67f));

        var fromBytes = await d.Client.CallAsync<PredictResult>(Methods.Predict,
            new PredictParams(a.ModelId, ImageBase64: "data:image/png;base64," + Convert.ToBase64String("IMG!"u8.ToArray())));
        fromBytes.Top.Should().HaveCount(3);
    }

    [Fact]
    public async Task Unit_map_returns_the_raw_map_and_the_overlay()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var a = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a.pth")));
        var response = await d.Client.RequestAsync(Methods.UnitMap, new UnitMapParams(a.ModelId, "layer1.0.conv1", 7, d.Image()));
        var json = response.GetProperty("result");
        foreach (var name in new[] { "layer", "unit", "mapWidth", "mapHeight", "min", "max", "mean", "values", "overlayPng", "imageWidth", "imageHeight" })
            json.TryGetProperty(name, out _).Should().BeTrue($"the result has {name}");
        var map = json.Deserialize<UnitMapResult>(ProtocolJson.Options)!;
        map.Layer.Should().Be("layer1.0.conv1");
        map.Unit.Should().Be(7);
        (map.MapWidth, map.MapHeight).Should().Be((3, 2));
        map.Values.Should().Equal(0f, 1f, 2f, 3f, 4f, 5f);
        (map.ImageWidth, map.ImageHeight).Should().Be((20, 10));
        Convert.FromBase64String(map.OverlayPng).Should().Equal(FakeEngine.OverlayBytes);
    }

    [Fact]
    public async Task Reads_do_not_wait_for_a_load_in_progress_and_see_its_model_once_it_is_done()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        d.Engine.LoadGate = new TaskCompletionSource();
        var load = d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a.pth")));
        (await d.Engine.LoadStarted.WaitAsync(TimeSpan.FromSeconds(10))).Should().BeTrue();
        (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams(), TimeSpan.FromSeconds(10))).Models.Should().BeEmpty();
        d.Engine.LoadGate.SetResult();
        var model = await load;
        (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models.Select(m => m.ModelId).Should().Equal(model.ModelId);
    }
}
