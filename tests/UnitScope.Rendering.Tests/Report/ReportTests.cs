using System.Text.RegularExpressions;
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

    /// <summary>The dissector's mask computed independently, in C#: bilinear upsampling, then strictly above the threshold.</summary>
    static bool[] ReferenceMask(float[] map, int mapHeight, int mapWidth, int maskHeight, int maskWidth, float threshold) =>
        [.. MapUpsampling.Bilinear(map, mapHeight, mapWidth, maskHeight, maskWidth).Select(v => v > threshold)];

    [Fact]
    public void Tiles_hold_each_top_image_with_the_mask_of_the_units_own_activation()
    {
        var dataset = new FakeProbeDataset();
        var layer = Dissection(units: 5, topImages: 3);
        var cards = TopImageTiles.ForLayer(Model, dataset, layer, tileSize: 16, batchSize: 4).ToList();

        cards.Select(c => c.Unit.Unit).Should().Equal(0, 1, 2, 3, 4);
        foreach (var (unit, tiles) in cards)
        {
            tiles.Select(t => t.ImageIndex).Should().Equal(unit.TopImages.Select(t => t.ImageIndex));
            foreach (var tile in tiles)
            {
                // The same mask computed another way: the unit map of the image, upsampled in C# to the
                // 16×16 mask size (equal to libtorch's up to float rounding: skip values at the threshold).
                var map = Model.ComputeUnitMap(dataset.Load(tile.ImageIndex).Image, "conv2", unit.Unit);
                var values = MapUpsampling.Bilinear(map.Values, map.Height, map.Width, 16, 16);
                var expected = ReferenceMask(map.Values, map.Height, map.Width, 16, 16, unit.Threshold);
                for (int p = 0; p < values.Length; p++)
                    if (Math.Abs(values[p] - unit.Threshold) > 1e-4)
                        tile.Mask[p].Should().Be(expected[p], because: $"pixel {p} of image {tile.ImageIndex}, unit {unit.Unit}");
                (tile.Image.Width, tile.Image.Height).Should().Be((16, 16));
            }
        }
        cards.SelectMany(c => c.Tiles).Should().Contain(t => t.Mask.Any(m => m) && !t.Mask.All(m => m),
            because: "with t_u near 0 the masks are neither empty nor full");
    }

    [Fact]
    public void Tiles_of_a_layer_the_model_does_not_have_are_an_unknown_layer_error()
    {
        var act = () => TopImageTiles.ForLayer(Model, new FakeProbeDataset(), Dissection(layer: "nope")).ToList();
        act.Should().Throw<UnitScope.Engine.UnitScopeException>().Which.Kind.Should().Be(UnitScope.Engine.EngineErrorKind.UnknownLayer);
    }

    [Fact]
    public void Report_lists_every_unit_with_its_card_and_fetches_nothing_from_the_network()
    {
        var layers = new[] { Dissection("conv2", units: 16), Dissection("conv1", units: 8) };
        var progress = new List<ReportProgress>();
        string index = DissectionReport.Write(_out, Model, new FakeProbeDataset(), layers, new ReportOptions { TileSize = 32 },
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
        DissectionReport.Write(_out, Model, new FakeProbeDataset(), [layer]);
        string card = Path.Combine(_out, "images", "conv2-unit0001.png");
        var old = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(card, old);

        DissectionReport.Write(_out, Model, new FakeProbeDataset(), [layer]);
        File.GetLastWriteTimeUtc(card).Should().Be(old, because: "the same result's cards are kept");

        DissectionReport.Write(_out, Model, new FakeProbeDataset(), [layer with { Options = layer.Options with { Quantile = 0.01 } }]);
        File.GetLastWriteTimeUtc(card).Should().BeAfter(old, because: "another result gets new cards");
    }

    [Fact]
    public void Report_escapes_names_and_keeps_odd_layer_names_in_distinct_files()
    {
        var odd = Dissection() with { Units = Dissection().Units.Select(u => u with { Label = new ConceptScore(1, "<b>&\"x\"", "weird cat/égal", 0.5) }).ToList() };
        string html = DissectionReport.Html(Model, new FakeProbeDataset(), [odd]);
        html.Should().NotContain("<b>&").And.Contain("&lt;b&gt;&amp;&quot;x&quot;");
        html.Should().MatchRegex("class=\"chip cat-weirdcatgal-[0-9a-f]{8}\"");
    }

    sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
