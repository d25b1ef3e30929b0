using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>textDocument/hover through the daemon: document store + active model + resolver + markdown.</summary>
public class HoverTests
{
    private const string Uri = "file:///work/net.py";

    // The fake model's own class: a class that lacks one of its layers (here layer1) would be no part of it.
    private const string Source = """
        class Net(nn.Module):
            def __init__(self):
                self.conv1 = nn.Conv2d(3, 4, 3)
                self.fc = nn.Linear(4, 3)
                self.bn1 = nn.BatchNorm2d(4)
                self.layer1 = nn.Sequential(Block(), Block())
        """;

    private static async Task<InProcessDaemon> StartAsync(bool loadModel = true)
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync();
        if (loadModel) await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("fake.pth")));
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(Uri, "python", 1, Source)));
        return d;
    }

    private static async Task<Hover?> HoverAsync(InProcessDaemon d, int line, int character, string uri = Uri)
    {
        var response = await d.Client.RequestAsync(Methods.Hover, new HoverParams(new TextDocumentIdentifier(uri), new Position(line, character)));
        LspClient.ErrorOf(response).Should().BeNull();
        var result = response.GetProperty("result");
        return result.ValueKind == JsonValueKind.Null ? null : result.Deserialize<Hover>(ProtocolJson.Options);
    }

    [Fact]
    public async Task Hover_shows_the_layer_with_kind_units_shape_and_model()
    {
        await using var d = await StartAsync();
        var hover = await HoverAsync(d, 2, 15);
        hover.Should().NotBeNull();
        hover!.Contents.Kind.Should().Be(MarkupKind.Markdown);
        hover.Contents.Value.Should().Contain("`conv1`").And.Contain("Conv2d").And.Contain("4 units").And.Contain("4×8×8")
            .And.Contain("fakenet").And.Contain("fake.pth");
        hover.Range.Should().Be(new UnitScope.Protocol.Range(new Position(2, 13), new Position(2, 18)));
    }

    [Fact]
    public async Task Hover_of_a_layer_in_the_last_comparison_shows_its_cka_rank_and_label_changes()
    {
        await using var d = await StartAsync();
        var model = (await d.Client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams())).Models.Single();
        (await HoverAsync(d, 2, 15))!.Contents.Value.Should().NotContain("Compared with", "no comparison yet");

        MatchedUnit Pair(int u, bool changed) => new(u, u, 0.9, "red", changed ? "blue" : "red", changed);
        var result = new CompareCheckpointsResult("0000", model.CheckpointHash, "probe", 12,
            [
                new LayerChange("conv1", 4, 4, 4, [Pair(0, true), Pair(1, false), Pair(2, true), Pair(3, false)], Cka: 0.8345, LabelChanges: 2),
                new LayerChange("fc", 3, 3, 3, [Pair(0, false)], Cka: 0.5),
            ],
            ["fc", "conv1"], "", 1, 1);
        d.Services.LastComparison.Remember(result, "epoch_1.pth", "fake.pth");
        (await HoverAsync(d, 2, 15))!.Contents.Value.Should()
            .Contain("Compared with `epoch_1.pth`: CKA 0.83, the 2nd most changed of 2 layers; 2 of 4 matched units changed label.");
        (await HoverAsync(d, 3, 14))!.Contents.Value.Should().Contain("CKA 0.50, the most changed of 2 layers; labels not compared");

        // A later comparison of other checkpoints replaces it: this model's hovers say nothing of it.
        d.Services.LastComparison.Remember(result with { CheckpointB = "1111" }, "a.pth", "b.pth");
        (await HoverAsync(d, 2, 15))!.Contents.Value.Should().NotContain("Compared with");
    }

    [Fact]
    public async Task Hover_lists_suffix_matches()
    {
        await using var d = await StartAsync();
        await d.Client.NotifyAsync(Methods.DidChange, new DidChangeTextDocumentParams(
            new VersionedTextDocumentIdentifier(Uri, 2), [new TextDocumentContentChangeEvent("""
                class Block(nn.Module):
                    def __init__(self):
                        self.conv1 = nn.Conv2d(8, 8, 3)
                        self.relu2 = nn.ReLU()
                """)]));
        var hover = await HoverAsync(d, 2, 15);
        hover!.Contents.Value.Should().Contain("matches 2 layers").And.Contain("`layer1.0.conv1`").And.Contain("`layer1.1.conv1`");
    }

    [Fact]
    public async Task No_hover_where_nothing_resolves()
    {
        await using var d = await StartAsync();
        (await HoverAsync(d, 0, 2)).Should().BeNull();            // "class"
        (await HoverAsync(d, 2, 9)).Should().BeNull();            // "self"
        (await HoverAsync(d, 2, 15, "file:///other.py")).Should().BeNull(); // not open
    }

    [Fact]
    public async Task No_hover_without_a_model()
    {
        await using var d = await StartAsync(loadModel: false);
        (await HoverAsync(d, 2, 15)).Should().BeNull();
    }

    [Fact]
    public async Task Hover_follows_full_changes_and_close()
    {
        await using var d = await StartAsync();
        await d.Client.NotifyAsync(Methods.DidChange, new DidChangeTextDocumentParams(
            new VersionedTextDocumentIdentifier(Uri, 2), [new TextDocumentContentChangeEvent("\n\nx = self.fc(x)")]));
        (await HoverAsync(d, 2, 10))!.Contents.Value.Should().Contain("`fc`").And.Contain("Linear");

        await d.Client.NotifyAsync(Methods.DidChange, new DidChangeTextDocumentParams(
            new VersionedTextDocumentIdentifier(Uri, 3),
            [new TextDocumentContentChangeEvent("bn1", new UnitScope.Protocol.Range(new Position(2, 9), new Position(2, 11)))]));
        (await HoverAsync(d, 2, 10))!.Contents.Value.Should().Contain("`bn1`").And.Contain("BatchNorm2d");

        await d.Client.NotifyAsync(Methods.DidClose, new DidCloseTextDocumentParams(new TextDocumentIdentifier(Uri)));
        (await HoverAsync(d, 2, 10)).Should().BeNull();
    }

    [Fact]
    public async Task Csharp_documents_are_resolved_as_csharp()
    {
        await using var d = await StartAsync();
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(
            "file:///work/Net.cs", "csharp", 1, "// self.fc\nprivate Module<Tensor, Tensor> fc;")));
        (await HoverAsync(d, 0, 9, "file:///work/Net.cs")).Should().BeNull();
        (await HoverAsync(d, 1, 32, "file:///work/Net.cs"))!.Contents.Value.Should().Contain("`fc`");
    }
}
