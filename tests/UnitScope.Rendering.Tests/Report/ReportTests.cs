using System.Text.RegularExpressions;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Rendering.Charts;
using UnitScope.Rendering.Report;
using static UnitScope.Rendering.Tests.Report.ReportSamples;

namespace UnitScope.Rendering.Tests.Report;

public sealed class ReportTests : IDisposable
{
    readonly string _out = Path.Combine(Path.GetTempPath(), "unitscope-report-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_out, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Tiles_hold_each_top_image_resized_with_the_units_mask_at_tile_resolution()
    {
        var dataset = new FakeProbeDataset();
        var layer = Dissection(units: 5, topImages: 3);
        var tiles = new TopImageTiles(dataset, tileSize: 32);

        foreach (var unit in layer.Units)
        {
            var drawn = tiles.For(unit, unit.TopMasks!);
            drawn.Select(t => t.ImageIndex).Should().Equal(unit.TopImages.Select(t => t.ImageIndex));
            drawn.Select(t => t.MaxActivation).Should().Equal(unit.TopImages.Select(t => t.MaxActivation));
            foreach (var tile in drawn)
            {
                (tile.Image.Width, tile.Image.Height, tile.MaskHeight, tile.MaskWidth).Should().Be((32, 32, 32, 32));
                var mask = MaskOf(unit.Unit, tile.ImageIndex);
                // Each 16×16 mask pixel covers 2×2 tile pixels.
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        tile.Mask[y * 32 + x].Should().Be(mask[y / 2 * 16 + x / 2], $"tile pixel ({y}, {x}) of unit {unit.Unit}");
            }
        }
    }

    [Fact]
    public void A_stored_result_without_masks_needs_a_mask_source()
    {
        var layer = Dissection(units: 2);
        var stored = layer with { Units = [.. layer.Units.Select(u => u with { TopMasks = null })] };

        var act = () => DissectionReport.Write(_out, Subject, new FakeProbeDataset(), [stored]);

        act.Should().Throw<InvalidOperationException>().WithMessage("*carries no masks*");
        var drawn = new List<int>();
        DissectionReport.Write(_out, Subject, new FakeProbeDataset(), [stored], masks: (l, units, _) =>
        {
            drawn.AddRange(units);
            return units.Select(u => (l.Units[u], (IReadOnlyList<UnitMask>)[.. l.Units[u].TopImages.Select(t => MaskOf(u, t.ImageIndex))]));
        });
        drawn.Should().BeEquivalentTo([0, 1]);
        File.Exists(Path.Combine(_out, "images", "conv2-unit0001.png")).Should().BeTrue();
    }

    [Fact]
    public void Report_lists_every_unit_with_its_card_and_fetches_nothing_from_the_network()
    {
        var layers = new[] { Dissection("conv2", units: 16), Dissection("conv1", units: 8) };
        var progress = new List<ReportProgress>();
        string index = DissectionReport.Write(_out, Subject, new FakeProbeDataset(), layers, new ReportOptions { TileSize = 32 },
            new SyncProgress<ReportProgress>(progress.Add));

        index.Should().Be(Path.Combine(_out, "index.html"));
        string html = File.ReadAllText(index);
        html.Should().StartWith("<!DOCTYPE html>");
        Regex.IsMatch(html, "https?:", RegexOptions.IgnoreCase).Should().BeFalse(because: "the report works offline");
        html.Should().NotContain("//cdn").And.NotContain("src=\"//");
        foreach (var layer in layers)
        {
            var section = Regex.Match(html, $"<section class=\"layer\" id=\"{Regex.Escape(layer.Layer)}\">(.*?)</section>", RegexOptions.Singleline);
            section.Success.Should().BeTrue();
            var rows = Regex.Matches(section.Groups[1].Value, "<tr class=\"(labelled|unlabelled)\" data-unit=\"(\\d+)\"");
            rows.Select(r => int.Parse(r.Groups[2].Value)).Should().Equal(layer.Units.Select(u => u.Unit));
            rows.Count(r => r.Groups[1].Value == "labelled").Should().Be(layer.LabelledUnits);
            section.Groups[1].Value.Should().Contain($"{layer.LabelledUnits}</strong> of {layer.Units.Count} units labelled");
        }
        html.Should().Contain($".cat-color {{ --c: {CategoryPalette.HexOf("color")}; }}");

        var sources = Regex.Matches(html, "(?:src|href)=\"([^\"#]+)\"").Select(m => m.Groups[1].Value).Distinct().ToList();
        sources.Should().HaveCount(2 + 16 + 8);
        foreach (string source in sources)
        {
            string file = Path.Combine(_out, source);
            File.Exists(file).Should().BeTrue(because: $"{source} is referenced");
            using var png = Decode(File.ReadAllBytes(file));
            png.Width.Should().BeGreaterThan(0);
        }
        using (var card = Decode(File.ReadAllBytes(Path.Combine(_out, "images", "conv2-unit0003.png"))))
            (card.Width, card.Height).Should().Be(UnitCard.Size(4, 32));
        File.Exists(Path.Combine(_out, "dissection.json")).Should().BeTrue();
        progress.Should().Contain(new ReportProgress("conv2", 16, 16)).And.Contain(new ReportProgress("conv1", 8, 8));
    }

    [Fact]
    public void Writing_the_report_again_for_the_same_results_keeps_the_cards_and_a_changed_result_redraws_them()
    {
        var layer = Dissection("conv2", units: 4);
        DissectionReport.Write(_out, Subject, new FakeProbeDataset(), [layer]);
        string card = Path.Combine(_out, "images", "conv2-unit0001.png");
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(card, old);

        DissectionReport.Write(_out, Subject, new FakeProbeDataset(), [layer]);
        File.GetLastWriteTimeUtc(card).Should().Be(old, because: "the same result's cards are kept");

        DissectionReport.Write(_out, Subject, new FakeProbeDataset(), [layer with { Options = layer.Options with { Quantile = 0.01 } }]);
        File.GetLastWriteTimeUtc(card).Should().BeAfter(old, because: "another result gets new cards");
    }

    [Fact]
    public void Report_escapes_names_and_keeps_odd_layer_names_in_distinct_files()
    {
        var odd = Dissection() with { Units = Dissection().Units.Select(u => u with { Label = new ConceptScore(1, "<b>&\"x\"", "weird cat/égal", 0.5) }).ToList() };
        string html = DissectionReport.Html(Subject, new FakeProbeDataset(), [odd]);
        html.Should().NotContain("<b>&").And.Contain("&lt;b&gt;&amp;&quot;x&quot;");
        html.Should().MatchRegex("class=\"chip cat-weirdcatgal-[0-9a-f]{8}\"");
    }
}
