using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.References;
using UnitScope.Server.Tests.Support;
using E = UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Server.Tests;

/// <summary>
/// What a dissection hover adds beyond text: the top units' top-image strips as data: images that
/// open the unit's card, and the "Unit maps…" link on every layer with spatial maps.
/// </summary>
public class HoverImageTests
{
    private static readonly ModelInfo Model = new("m1", "/w/fake.pth", "hash", "fakenet", new InputSpec(3, 8, 8, [0, 0, 0], [1, 1, 1]), 3, "cpu",
        [new LayerInfo("conv1", "Conv2d", 4, [4, 8, 8]), new LayerInfo("fc", "Linear", 3, [3])]);

    private static LayerResolution Conv1 => new("conv1", ["conv1"], true, new UnitScope.Protocol.Range(new Position(0, 0), new Position(0, 5)));

    private static E.LayerDissection Dissection() => FakeDissection.Result("hash", "conv1", 4, "probehash", new E.DissectionOptions());

    [Fact]
    public void The_top_units_images_are_inline_pngs_that_open_each_units_card_in_the_order_named()
    {
        var d = Dissection();
        var top = HoverContent.TopLabelledUnits(d);
        top.Should().Equal(0, 1, 3);
        var strips = top.ToDictionary(u => u, u => $"AAA{u}");
        var md = HoverContent.Markdown(Conv1, Model, _ => d, strips);
        var card = (int unit) => Uri.EscapeDataString(JsonSerializer.Serialize(new[] { new { modelId = "m1", layer = "conv1", unit } }));
        md.Should().Contain(
            $"[![unit 0: red](data:image/png;base64,AAA0)](command:unitscope.openUnitCard?{card(0)} \"Unit 0: red\") " +
            $"[![unit 1: circle](data:image/png;base64,AAA1)](command:unitscope.openUnitCard?{card(1)} \"Unit 1: circle\") " +
            $"[![unit 3: red](data:image/png;base64,AAA3)](command:unitscope.openUnitCard?{card(3)} \"Unit 3: red\")\n\n");
        md.IndexOf("Top: unit 0", StringComparison.Ordinal).Should().BeLessThan(md.IndexOf("![unit 0", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_strips_the_hover_has_no_images()
    {
        var d = Dissection();
        HoverContent.Markdown(Conv1, Model, _ => d).Should().NotContain("data:image");
        HoverContent.Markdown(Conv1, Model, _ => d, new Dictionary<int, string>()).Should().NotContain("data:image");
    }

    [Fact]
    public void Unit_maps_link_to_the_unit_map_command_for_dissected_and_undissected_layers()
    {
        var args = HoverContent.CommandArguments("m1", "conv1");
        var link = $"[Unit maps…](command:unitscope.showUnitMap?{args} \"A unit's activation over an image\")";
        var d = Dissection();
        HoverContent.Markdown(Conv1, Model, _ => d).Should().Contain($" · [Ablate units…]").And.Contain($" · {link}\n\n");
        HoverContent.Markdown(Conv1, Model, _ => null).Should().Contain($"[Dissect conv1](command:unitscope.dissectLayer?{args} \"Run network dissection on this layer\") · {link}");
    }

    [Fact]
    public void The_unit_gallery_is_linked_for_dissected_and_undissected_layers()
    {
        var args = HoverContent.CommandArguments("m1", "conv1");
        var link = $"[Unit gallery…](command:unitscope.unitGallery?{args} \"A unit's strongest activations: patches and projections\")";
        HoverContent.Markdown(Conv1, Model, _ => Dissection()).Should().Contain($" · {link} · [Unit maps…]");
        HoverContent.Markdown(Conv1, Model, _ => null).Should().Contain($" · {link}\n\n");
    }

    [Fact]
    public void A_folder_dataset_is_named_by_its_folder()
    {
        var d = Dissection();
        HoverContent.Markdown(Conv1, Model, _ => d, datasetLabel: "broden_mini").Should().Contain("**Dissection** (40 images of broden\\_mini): 3/4 units labelled");
    }

    [Fact]
    public async Task The_in_process_daemon_renders_no_images_when_its_engine_cannot_and_the_hover_still_answers()
    {
        await using var d = new InProcessDaemon();
        await d.InitializeAsync();
        var m = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(d.Checkpoint("fake.pth")));
        await d.Client.NotifyAsync(Methods.DidOpen, new DidOpenTextDocumentParams(new TextDocumentItem("file:///w/a.py", "python", 1, "self.conv1\n")));
        d.Dissection.ProbeBuilt = true;
        d.Dissection.Put(FakeDissection.Result(m.CheckpointHash, "conv1", 4, "probehash", new E.DissectionOptions()));
        var hover = await d.Client.CallAsync<Hover>(Methods.Hover, new HoverParams(new TextDocumentIdentifier("file:///w/a.py"), new Position(0, 7)));
        hover.Contents.Value.Should().Contain("3/4 units labelled").And.NotContain("data:image");
    }
}
