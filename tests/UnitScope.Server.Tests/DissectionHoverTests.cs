using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.References;
using UnitScope.Server.Tests.Support;
using E = UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Server.Tests;

/// <summary>
/// The dissection part of layer hovers, through the in-process daemon: the cached default
/// dissection (probe set, default options) summarised with links to the panel and to ablation, or
/// a link to dissect the layer; nothing for layers without spatial output.
/// </summary>
public class DissectionHoverTests
{
    private const string Uri = "file:///work/net.py";
    private const string Source = "x = self.conv1(x)\ny = self.fc(x)\nz = self.bn1(x)\n";

    private static async Task<(InProcessDaemon Daemon, ModelInfo Model)> StartAsync()
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync();
        var model = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("fake.pth")));
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem(Uri, "python", 1, Source)));
        return (d, model);
    }

    private static async Task<string> HoverAsync(InProcessDaemon d, int line, int character)
    {
        var hover = await d.Client.CallAsync<Hover?>(Methods.Hover, new HoverParams(new TextDocumentIdentifier(Uri), new Position(line, character)));
        hover.Should().NotBeNull();
        return hover!.Contents.Value;
    }

    private static string Args(ModelInfo m, string layer) =>
        System.Uri.EscapeDataString(JsonSerializer.Serialize(new[] { new { modelId = m.ModelId, layer } }));

    [Fact]
    public async Task A_dissected_layer_shows_labelled_units_per_category_the_top_units_and_links()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.ProbeBuilt = true;
        d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions()));

        var md = await HoverAsync(d, 0, 11);
        md.Should().StartWith("**`conv1`** — Conv2d, 4 units, output 4×8×8\n\n");
        md.Should().Contain("**Dissection** (40 probe images): 3/4 units labelled: 2 color, 1 shape  \n");
        md.Should().Contain("Top: unit 0 *red* (color) IoU 0.50, unit 1 *circle* (shape) IoU 0.49, unit 3 *red* (color) IoU 0.47\n\n");
        md.Should().Contain($"[Open dissection](command:unitscope.openDissection?{Args(m, "conv1")} \"Show every unit of conv1\")");
        md.Should().Contain($" · [Ablate units…](command:unitscope.ablateUnits?{Args(m, "conv1")} ");
        md.Should().NotContain("Not dissected");
        md.Should().EndWith("Model: fakenet · `fake.pth`");
    }

    [Fact]
    public async Task Only_the_default_dataset_and_options_count_for_the_hover()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.ProbeBuilt = true;
        d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions { Quantile = 0.01 }));
        d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "broden-x", new E.DissectionOptions()));
        (await HoverAsync(d, 0, 11)).Should().Contain("Not dissected yet");

        // Another batch size gives the same result: it counts.
        d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions { BatchSize = 64 }));
        (await HoverAsync(d, 0, 11)).Should().Contain("3/4 units labelled");
    }

    [Fact]
    public async Task An_undissected_spatial_layer_links_to_dissect_it_and_a_linear_one_says_nothing()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var md = await HoverAsync(d, 2, 11);
        md.Should().Contain($"Not dissected yet — [Dissect bn1](command:unitscope.dissectLayer?{Args(m, "bn1")} \"Run network dissection on this layer\")");
        var fc = await HoverAsync(d, 1, 10);
        fc.Should().Contain("`fc`").And.NotContain("dissect", "a Linear layer has no maps to dissect");
    }

    [Fact]
    public async Task A_layer_being_dissected_says_so_until_its_result_is_in()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        var gate = d.Dissection.BatchGate = new SemaphoreSlim(0);
        var (_, response) = await d.Client.SendRequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1"]));
        await d.Dissection.BatchStarted.WaitAsync(TimeSpan.FromSeconds(10));

        var during = await HoverAsync(d, 0, 11);
        during.Should().Contain("*Dissecting conv1 now*").And.NotContain("Not dissected yet").And.NotContain("command:unitscope.dissectLayer",
            "a second click would start a second run of the same layer");
        (await HoverAsync(d, 2, 11)).Should().Contain("Not dissected yet — [Dissect bn1]", "only the layers of the run are marked");

        d.Dissection.BatchGate = null;
        gate.Release(100);
        await response.WaitAsync(TimeSpan.FromSeconds(10));
        (await HoverAsync(d, 0, 11)).Should().Contain("3/4 units labelled").And.NotContain("Dissecting");
    }

    [Fact]
    public async Task A_cancelled_or_failed_run_leaves_its_layers_not_dissected()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.FailWith = new InvalidOperationException("out of memory");
        var failed = await d.Client.RequestAsync(Methods.Dissect, new DissectParams(m.ModelId, ["conv1", "bn1"]));
        failed.TryGetProperty("error", out var _).Should().BeTrue();
        (await HoverAsync(d, 0, 11)).Should().Contain("Not dissected yet — [Dissect conv1]");
        (await HoverAsync(d, 2, 11)).Should().Contain("Not dissected yet — [Dissect bn1]");
    }

    [Fact]
    public void Running_dissections_are_counted_per_run_and_dataset()
    {
        var running = new Dissection.RunningDissections();
        var folder = new Dissection.DatasetSpec("/data/broden");
        var a = running.Begin("h", Dissection.DatasetSpec.Probe, ["conv1", "conv2"]);
        var b = running.Begin("h", Dissection.DatasetSpec.Probe, ["conv1"]);
        running.IsRunning("h", folder, "conv1").Should().BeFalse("another dataset's hover is not this run's");
        running.IsRunning("other", Dissection.DatasetSpec.Probe, "conv1").Should().BeFalse();
        a.Finished("conv1");
        a.Finished("conv1"); // a second delivery of the same layer changes nothing
        running.IsRunning("h", Dissection.DatasetSpec.Probe, "conv1").Should().BeTrue("the second run still dissects it");
        b.Dispose();
        running.IsRunning("h", Dissection.DatasetSpec.Probe, "conv1").Should().BeFalse();
        running.IsRunning("h", Dissection.DatasetSpec.Probe, "conv2").Should().BeTrue();
        a.Dispose();
        running.IsRunning("h", Dissection.DatasetSpec.Probe, "conv2").Should().BeFalse();
    }

    [Fact]
    public async Task A_layer_with_no_label_above_the_threshold_says_so()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.ProbeBuilt = true;
        var none = FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions());
        none = none with
        {
            Units = none.Units.Select(u => u with { Label = null }).ToList(),
            LabelledByCategory = new Dictionary<string, int> { ["color"] = 0 },
        };
        d.Dissection.Put(none);
        var md = await HoverAsync(d, 0, 11);
        md.Should().Contain("0/4 units labelled (none above IoU 0.04)").And.NotContain("Top:").And.Contain("[Open dissection]");
    }

    [Fact]
    public async Task Concept_and_category_names_cannot_add_markup_or_links()
    {
        var (d, m) = await StartAsync();
        await using var _ = d;
        d.Dissection.ProbeBuilt = true;
        var r = FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions());
        var evil = new E.ConceptScore(1, "x](command:workbench.action.quit) *", "c_[y]", 0.9);
        r = r with { Units = [r.Units[0] with { Label = evil }, .. r.Units.Skip(1)] };
        d.Dissection.Put(r);
        var md = await HoverAsync(d, 0, 11);
        md.Should().Contain(@"unit 0 *x\]\(command:workbench\.action\.quit\) \** (c\_\[y\])");
        md.Should().NotContain("](command:workbench");
    }

    [Fact]
    public void Escape_backslashes_markdown_punctuation_and_flattens_lines() =>
        HoverContent.Escape("a*b_c[d](e)<f>\n`g`|h").Should().Be(@"a\*b\_c\[d\]\(e\)\<f\> \`g\`\|h");
}
