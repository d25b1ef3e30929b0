using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.References;
using UnitScope.Server.Tests.Support;
using E = UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Server.Tests;

/// <summary>
/// Code lenses over layer definitions, through the in-process daemon: where they go (module
/// constructions the resolver names: attributes, Sequential entries, block classes, TorchSharp
/// fields), what they say (labelled units from the default dissection, "not dissected", units of a
/// layer without maps), the commands they run, and the refresh the daemon asks for when models or
/// results change.
/// </summary>
public class CodeLensTests
{
    private const string PyUri = "file:///work/net.py";

    private const string Python = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 4, 3)
                self.bn1 = nn.BatchNorm2d(4)
                self.layer1 = nn.Sequential(Block(), Block())
                self.fc = nn.Linear(4, 3)

            def forward(self, x):
                x = F.relu(self.bn1(self.conv1(x)))
                return self.fc(self.layer1(x))

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(8, 8, 3)

        class Unrelated(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(8, 8, 3)
                self.conv2 = nn.Conv2d(8, 8, 3)
        """;

    private static async Task<(InProcessDaemon Daemon, ModelInfo Model)> StartAsync(string text = Python, string uri = PyUri, string language = "python",
        object? capabilities = null, InitializationOptions? options = null)
    {
        var d = new InProcessDaemon();
        if (options is null) await d.InitializeAsync(capabilities);
        else
        {
            var caps = capabilities is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(capabilities);
            await d.Client.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(Capabilities: caps, InitializationOptions: options));
            await d.Client.NotifyAsync(Methods.Initialized, new { });
        }
        var model = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("fake.pth")));
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(uri, language, 1, text)));
        return (d, model);
    }

    private static Task<List<CodeLens>> LensesAsync(InProcessDaemon d, string uri = PyUri) =>
        d.Client.CallAsync<List<CodeLens>>(Methods.CodeLens, new CodeLensParams(new TextDocumentIdentifier(uri)));

    /// <summary>"line: title → command" for each lens, in order.</summary>
    private static List<string> Describe(IEnumerable<CodeLens> lenses) =>
        lenses.Select(l => $"{l.Range.Start.Line}: {l.Command!.Title}{(l.Command.Command.Length > 0 ? " → " + l.Command.Command : "")}").ToList();

    private static JsonElement Argument(CodeLens lens) => lens.Command!.Arguments!.Single();

    [Fact]
    public async Task Initialize_announces_code_lenses()
    {
        await using var d = new InProcessDaemon();
        var init = await d.Client.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams());
        init.Capabilities.CodeLensProvider.Should().NotBeNull();
        init.Capabilities.CodeLensProvider!.ResolveProvider.Should().BeFalse();
    }

    [Fact]
    public async Task Each_layer_definition_gets_units_dissect_and_ablate()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        Describe(await LensesAsync(d)).Should().Equal(
            "5: 4 units · not dissected", "5: dissect → unitscope.dissectLayer", "5: ablate → unitscope.ablateUnits",
            "6: 4 units · not dissected", "6: dissect → unitscope.dissectLayer", "6: ablate → unitscope.ablateUnits",
            // self.layer1 = nn.Sequential(Block(), Block()): the container, then its entries layer1.0 and layer1.1 on the same line.
            "7: layer1: 8 units · not dissected", "7: dissect → unitscope.dissectLayer", "7: ablate → unitscope.ablateUnits",
            "7: layer1.0: 8 units · not dissected", "7: dissect → unitscope.dissectLayer", "7: ablate → unitscope.ablateUnits",
            "7: layer1.1: 8 units · not dissected", "7: dissect → unitscope.dissectLayer", "7: ablate → unitscope.ablateUnits",
            "8: 3 units", "8: ablate → unitscope.ablateUnits",
            // Block's self.conv1 is layer1.0.conv1 and layer1.1.conv1; Unrelated, whose conv2 this model lacks, gets none.
            "17: 2 layers · not dissected", "17: dissect → unitscope.dissectLayer");
        var lenses = await LensesAsync(d);
        var conv1 = lenses.First(l => l.Range.Start.Line == 5 && l.Command!.Command == "unitscope.dissectLayer");
        conv1.Range.Should().Be(new UnitScope.Protocol.Range(new Position(5, 24), new Position(5, 30)), "the lens sits on the constructor");
        Argument(conv1).GetProperty("modelId").GetString().Should().Be(m.ModelId);
        Argument(conv1).GetProperty("layer").GetString().Should().Be("conv1");
        var block = lenses.Last();
        block.Command!.Arguments!.Single().GetProperty("layers").EnumerateArray().Select(e => e.GetString())
            .Should().Equal("layer1.0.conv1", "layer1.1.conv1");
    }

    [Fact]
    public async Task A_dissected_layer_says_how_many_units_are_labelled_and_opens_the_dissection()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.ProbeBuilt = true;
        d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions()));
        d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "layer1.0.conv1", 8, "probehash", new E.DissectionOptions()));
        var lenses = await LensesAsync(d);
        Describe(lenses.Where(l => l.Range.Start.Line is 5 or 17)).Should().Equal(
            "5: 3/4 units labelled → unitscope.openDissection", "5: dissect → unitscope.dissectLayer", "5: ablate → unitscope.ablateUnits",
            "17: 2 layers · 6/8 units labelled in 1 → unitscope.openDissection", "17: dissect → unitscope.dissectLayer");
        Argument(lenses.First()).GetProperty("layer").GetString().Should().Be("conv1");
    }

    [Theory]
    [InlineData("Conv2d", 3, true)]
    [InlineData("BatchNorm2d", 3, true)]
    [InlineData("Linear", 1, true)]
    [InlineData("BasicBlock", 3, true)]
    [InlineData("ReLU", 3, false)]
    [InlineData("MaxPool2d", 3, false)]
    [InlineData("AdaptiveAvgPool2d", 3, false)]
    [InlineData("Dropout", 1, false)]
    public void Layers_without_weights_get_no_lens(string kind, int dims, bool wanted) =>
        CodeLensContent.WantsLens(new LayerInfo("x", kind, 4, dims == 3 ? [4, 2, 2] : [4])).Should().Be(wanted);

    [Fact]
    public async Task Uses_and_calls_of_layers_get_no_lens()
    {
        var (d, _) = await StartAsync("x = self.conv1(x)\ny = model.fc(x)\n");
        await using var __ = d;
        (await LensesAsync(d)).Should().BeEmpty();
    }

    [Fact]
    public async Task TorchSharp_fields_and_registered_modules_get_lenses()
    {
        const string cs = """
            class Net : Module<Tensor, Tensor>
            {
                private readonly Module<Tensor, Tensor> conv1 = Conv2d(3, 4, 3);
                private readonly Module<Tensor, Tensor> fc;
                private readonly Module<Tensor, Tensor> layer1 = Sequential(new Block(), new Block());
                public Net() : base("Net")
                {
                    fc = Linear(4, 3);
                    register_module("bn1", BatchNorm2d(4));
                }
            }
            """;
        var (d, _) = await StartAsync(cs, "file:///work/Net.cs", "csharp");
        await using var __ = d;
        Describe(await LensesAsync(d, "file:///work/Net.cs")).Where(l => !l.Contains("dissect →") && !l.Contains("ablate →")).Should().Equal(
            "2: 4 units · not dissected", "4: layer1: 8 units · not dissected", "4: layer1.0: 8 units · not dissected",
            "4: layer1.1: 8 units · not dissected", "7: 3 units", "8: 4 units · not dissected");
    }

    [Fact]
    public async Task Without_an_active_model_or_for_an_unknown_document_there_are_none()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(PyUri, "python", 1, Python)));
        (await LensesAsync(d)).Should().BeEmpty();
        var model = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("fake.pth")));
        (await LensesAsync(d, "file:///work/other.py")).Should().BeEmpty();
        (await LensesAsync(d)).Should().NotBeEmpty();
        await d.Client.CallAsync<UnloadModelResult>(Methods.UnloadModel, new UnloadModelParams(model.ModelId));
        (await LensesAsync(d)).Should().BeEmpty();
    }

    [Fact]
    public async Task The_daemon_asks_a_client_that_can_refresh_lenses_to_do_so_after_a_load_and_a_dissection()
    {
        var caps = new { workspace = new { codeLens = new { refreshSupport = true } } };
        var (d, m) = await StartAsync(capabilities: caps);
        await using var _ = d;
        await WaitForRefreshAsync(d, 1);
        await d.Client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        await WaitForRefreshAsync(d, 2);
        Describe(await LensesAsync(d)).Should().Contain("5: 3/4 units labelled → unitscope.openDissection");
    }

    [Fact]
    public async Task A_layer_being_dissected_says_dissecting_with_no_second_dissect_and_the_lenses_refresh_as_it_starts_and_lands()
    {
        var caps = new { workspace = new { codeLens = new { refreshSupport = true } } };
        var (d, m) = await StartAsync(capabilities: caps);
        await using var _ = d;
        await WaitForRefreshAsync(d, 1); // the load's
        var gate = d.Dissection.BatchGate = new SemaphoreSlim(0);
        var (_, response) = await d.Client.SendRequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1", "layer1.0.conv1"]));
        await d.Dissection.BatchStarted.WaitAsync(TimeSpan.FromSeconds(10));
        await WaitForRefreshAsync(d, 2); // asked as the run starts, before any layer lands

        Describe(await LensesAsync(d)).Where(l => l.StartsWith("5:") || l.StartsWith("6:") || l.StartsWith("17:")).Should().Equal(
            "5: 4 units · dissecting…", "5: ablate → unitscope.ablateUnits",
            "6: 4 units · not dissected", "6: dissect → unitscope.dissectLayer", "6: ablate → unitscope.ablateUnits",
            // Block's conv1 is two layers, one of them in the run: no "dissect", which would run it again.
            "17: 2 layers · 1 dissecting…");

        d.Dissection.BatchGate = null;
        gate.Release(100);
        await response.WaitAsync(TimeSpan.FromSeconds(10));
        await WaitForRefreshAsync(d, 3);
        Describe(await LensesAsync(d)).Where(l => l.StartsWith("5:") || l.StartsWith("17:")).Should().Equal(
            "5: 3/4 units labelled → unitscope.openDissection", "5: dissect → unitscope.dissectLayer", "5: ablate → unitscope.ablateUnits",
            "17: 2 layers · 6/8 units labelled in 1 → unitscope.openDissection", "17: dissect → unitscope.dissectLayer");
    }

    [Fact]
    public async Task A_cancelled_dissection_leaves_its_lenses_not_dissected()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Dissection.BatchGate = new SemaphoreSlim(0);
        var (id, response) = await d.Client.SendRequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        await d.Dissection.BatchStarted.WaitAsync(TimeSpan.FromSeconds(10));
        Describe(await LensesAsync(d)).Should().Contain("5: 4 units · dissecting…");
        // The held batch waits on the request's token: the cancel ends it with conv1 not done.
        await d.Client.NotifyAsync(Methods.CancelRequest, new { id });
        (await response.WaitAsync(TimeSpan.FromSeconds(10))).TryGetProperty("error", out var error).Should().BeTrue(error.ToString());
        d.Dissection.BatchGate = null;
        gate.Release(100);
        Describe(await LensesAsync(d)).Should().Contain("5: 4 units · not dissected").And.Contain("5: dissect → unitscope.dissectLayer");
    }

    [Fact]
    public async Task A_client_that_cannot_refresh_is_not_asked()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        await d.Client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        await Task.Delay(300);
        lock (d.Client.ServerRequests)
            d.Client.ServerRequests.Should().NotContain(r => r.GetProperty("method").GetString() == Methods.CodeLensRefresh);
    }

    [Fact]
    public async Task The_default_dataset_from_initialization_options_is_what_lenses_hovers_and_isDefault_show()
    {
        var folder = Path.Combine(Path.GetTempPath(), "unitscope-tests", "broden_small_" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var (d, m) = await StartAsync(options: new InitializationOptions(Dataset: folder));
            await using var _ = d;
            d.Dissection.ProbeBuilt = true;
            d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions()));
            Describe(await LensesAsync(d)).Should().Contain("5: 4 units · not dissected", "the probe set's result is not the default here");

            d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "broden-" + Path.GetFileName(folder), new E.DissectionOptions()));
            Describe(await LensesAsync(d)).Should().Contain("5: 3/4 units labelled → unitscope.openDissection");
            var hover = await d.Client.CallAsync<Hover>(Methods.Hover, new HoverParams(new TextDocumentIdentifier(PyUri), new Position(5, 18)));
            hover.Contents.Value.Should().Contain($"**Dissection** (40 images of {HoverContent.Escape(Path.GetFileName(folder))}): 3/4 units labelled");
            var listed = await d.Client.CallAsync<DissectedLayersResult>(Methods.DissectedLayers, new DissectedLayersParams(m.ModelId));
            listed.Layers.Where(l => l.IsDefault).Select(l => l.DatasetHash).Should().Equal("broden-" + Path.GetFileName(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_default_dataset_folder_is_ignored_with_a_warning()
    {
        var (d, m) = await StartAsync(options: new InitializationOptions(Dataset: "/no/such/broden"));
        await using var _ = d;
        d.Dissection.ProbeBuilt = true;
        d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions()));
        Describe(await LensesAsync(d)).Should().Contain("5: 3/4 units labelled → unitscope.openDissection");
        d.Log.Should().Contain("initializationOptions.dataset ignored");
    }

    private static async Task WaitForRefreshAsync(InProcessDaemon d, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            lock (d.Client.ServerRequests)
                if (d.Client.ServerRequests.Count(r => r.GetProperty("method").GetString() == Methods.CodeLensRefresh) >= count) return;
            await Task.Delay(20);
        }
        throw new TimeoutException($"no {count}th {Methods.CodeLensRefresh}");
    }
}
