using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>A load that takes long (a large checkpoint, a slow disk) holds up nothing but itself, and can be cancelled.</summary>
public class SlowLoadTests
{
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Requests_on_other_models_and_hovers_are_answered_while_a_load_runs()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var loaded = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("a.pth")));
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem("file:///n.py", "python", 1, "self.conv1 = nn.Conv2d(3, 4, 3)")));

        d.Engine.LoadGate = new TaskCompletionSource();
        var (slowId, slow) = await d.Client.SendRequestAsync(Methods.LoadModel, new LoadModelParams(d.Checkpoint("b.pth", "ok b")));
        (await d.Engine.LoadStarted.WaitAsync(Promptly)).Should().BeTrue();

        (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams(), Promptly)).Models.Should().ContainSingle();
        (await d.Client.CallAsync<UnitMapResult>(Methods.UnitMap, new UnitMapParams(loaded.ModelId, "conv1", 0, d.Image()), Promptly)).Values.Should().HaveCount(6);
        var hover = await d.Client.RequestAsync(Methods.Hover, new HoverParams(new TextDocumentIdentifier("file:///n.py"), new Position(0, 6)), Promptly);
        LspClient.ErrorOf(hover).Should().BeNull();
        // Unloading another model does not wait for the load either.
        LspClient.ErrorOf(await d.Client.RequestAsync(Methods.UnloadModel, new UnloadModelParams(loaded.ModelId), Promptly)).Should().BeNull();

        await d.Client.NotifyAsync(Methods.CancelRequest, new { id = slowId });
        LspClient.ErrorOf(await slow.WaitAsync(Promptly))!.Code.Should().Be(ErrorCodes.RequestCancelled);
        d.Engine.LoadGate = null;
        (await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("b.pth", "ok b")), Promptly)).ModelId.Should().NotBeNullOrEmpty();
    }
}
