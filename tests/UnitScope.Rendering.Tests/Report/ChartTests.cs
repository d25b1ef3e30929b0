using SkiaSharp;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Rendering.Charts;
using UnitScope.Rendering.Fonts;
using static UnitScope.Rendering.Tests.Report.ReportSamples;

namespace UnitScope.Rendering.Tests.Report;

public class ChartTests
{
    [Fact]
    public void The_embedded_font_is_DejaVu_Sans_and_draws_glyphs()
    {
        EmbeddedFonts.Regular.FamilyName.Should().Be("DejaVu Sans");
        using var font = EmbeddedFonts.Font(20);
        font.GetGlyphs("Unit 12 dog").Should().NotContain(0, because: "every character has a glyph in the embedded font");
        using var bitmap = new SKBitmap(200, 40);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            canvas.DrawText("Unit 12 dog", 4, 28, SKTextAlign.Left, font, paint);
        }
        InkPixels(bitmap, 0, 0, 200, 40).Should().BeGreaterThan(100);
    }

    [Theory]
    // Tableau 10, the colours the panels' legends and the report's CSS show next to the same names.
    [InlineData("object", "#4e79a7")]
    [InlineData("part", "#f28e2b")]
    [InlineData("material", "#59a14f")]
    [InlineData("scene", "#76b7b2")]
    [InlineData("texture", "#b07aa1")]
    [InlineData("color", "#e15759")]
    [InlineData("shape", "#edc948")]
    // Spellings of a known category get its colour.
    [InlineData("colors", "#e15759")]
    [InlineData("Colour", "#e15759")]
    [InlineData(" OBJECTS ", "#4e79a7")]
    // No category: the unlabelled grey.
    [InlineData(null, "#999999")]
    [InlineData("", "#999999")]
    // Other names: a spare colour by FNV-1a of the name (expected values computed apart from the code:
    // h = 2166136261; h = (h ^ c) * 16777619 mod 2^32 per character; Spare[h % 8]).
    [InlineData("sky", "#a0522d")]
    [InlineData("zebra", "#708090")]
    [InlineData("weird-category", "#2f8f9d")]
    [InlineData("fur", "#4b4b8f")]
    [InlineData("glass", "#6b8e23")]
    public void Palette_gives_each_category_its_fixed_colour(string? category, string hex)
    {
        CategoryPalette.HexOf(category).Should().Be(hex);
        var c = CategoryPalette.ColorOf(category);
        (c.Red, c.Green, c.Blue, c.Alpha).Should().Be(
            (Convert.ToByte(hex[1..3], 16), Convert.ToByte(hex[3..5], 16), Convert.ToByte(hex[5..7], 16), (byte)255));
    }

    [Fact]
    public void Palette_keeps_spare_colours_apart_from_the_known_ones_and_darkens_text()
    {
        string[] known = ["object", "part", "material", "scene", "texture", "color", "shape"];
        known.Select(CategoryPalette.HexOf).Should().OnlyHaveUniqueItems();
        string[] others = ["weird-category", "texture-2", "sky", "lettering", "zebra", "fur", "glass", "wheel"];
        var otherHexes = others.Select(CategoryPalette.HexOf).ToList();
        otherHexes.Should().NotIntersectWith(known.Select(CategoryPalette.HexOf));
        otherHexes.Distinct().Count().Should().BeGreaterThan(1);
        // shape's yellow (237, 201, 72) at 72%, truncated: readable on white.
        CategoryPalette.TextColorOf("shape").Should().Be(new SKColor(170, 144, 51));
        CategoryPalette.Order(["color", "object", "part", "zebra"], n => n == "color" ? 5 : 1)
            .Should().Equal("color", "object", "part", "zebra");
        // Ties: known categories in their order, then the others by name.
        CategoryPalette.Order(["zebra", "shape", "apple", "object"]).Should().Equal("object", "shape", "apple", "zebra");
    }

    [Fact]
    public void Summary_chart_decodes_at_its_size_with_the_title_in_ink_and_bars_in_category_colours()
    {
        var layer = Dissection();
        using var bitmap = Decode(LayerSummaryChart.RenderPng(layer));
        var (w, h) = LayerSummaryChart.Size(layer);
        (bitmap.Width, bitmap.Height).Should().Be((w, h));
        w.Should().Be(LayerSummaryChart.DefaultWidth);

        InkPixels(bitmap, 16, 16, 400, 42).Should().BeGreaterThan(200, because: "the title is drawn there");
        InkPixels(bitmap, 400, 0, w, 12).Should().Be(0, because: "above the title is empty");
        PixelsOfColour(bitmap, CategoryPalette.ColorOf("color")).Should().BeGreaterThan(200, because: "color bars and chip");
        PixelsOfColour(bitmap, CategoryPalette.ColorOf("shape")).Should().BeGreaterThan(200, because: "shape bars and chip");
        PixelsOfColour(bitmap, CategoryPalette.ColorOf("object")).Should().Be(0, because: "no unit is labelled object");
    }

    [Fact]
    public void Summary_chart_says_what_the_units_were_dissected_over()
    {
        var layer = Dissection();
        LayerSummaryChart.Detail(layer).Should().EndWith($"activations · {layer.ImageCount} probe images").And.StartWith("3 concepts · IoU > ");
        LayerSummaryChart.Detail(layer, LayerSummaryChart.GeneratedSamples).Should().EndWith($" {layer.ImageCount} generated samples",
            because: "a generator's units are dissected over its own samples, not a probe set");
    }

    [Fact]
    public void Summary_bars_count_units_per_concept_grouped_by_category()
    {
        var bars = LayerSummaryChart.Bars(Dissection());
        // Labelled units are the even ones: 0..14, concept u % 3.
        bars.Should().Equal(
            new LayerSummaryChart.Bar("red", "color", 3),
            new LayerSummaryChart.Bar("green", "color", 2),
            new LayerSummaryChart.Bar("square", "shape", 3));
        LayerSummaryChart.Counts(Dissection()).Should().Equal(("color", 5), ("shape", 3));
    }

    [Fact]
    public void Summary_chart_of_a_layer_with_no_labelled_unit_says_so()
    {
        var layer = Dissection() with { Units = Dissection().Units.Select(u => u with { Label = null }).ToList(), LabelledByCategory = new Dictionary<string, int>() };
        using var bitmap = Decode(LayerSummaryChart.RenderPng(layer));
        bitmap.Height.Should().Be(LayerSummaryChart.Size(layer).Height);
        InkPixels(bitmap, 16, 108, 500, bitmap.Height).Should().BeGreaterThan(100, because: "the 'no unit' message is drawn");
    }

    [Fact]
    public void Summary_chart_of_many_concepts_stops_at_MaxBars_and_says_how_many_more()
    {
        var units = Enumerable.Range(0, 120).Select(u =>
        {
            var c = new ConceptScore(u, $"concept{u}", "object", 0.1);
            return new UnitDissection(u, 1f, c, c, [c], []);
        }).ToList();
        var layer = Dissection() with { Units = units };
        var (_, h) = LayerSummaryChart.Size(layer);
        using var bitmap = Decode(LayerSummaryChart.RenderPng(layer));
        bitmap.Height.Should().Be(h).And.BeLessThan(108 + 82 * 22 + 40);
    }

    [Fact]
    public void Unit_card_decodes_at_its_size_with_text_and_the_mask_outlined()
    {
        var unit = Dissection().Units[0];
        var left = Enumerable.Range(0, 16 * 16).Select(i => i % 16 < 8).ToArray();
        var tiles = Enumerable.Range(0, 3).Select(i => new UnitCardTile(FakeProbeDataset.Image(i), left, 16, 16, i, 3f)).ToList();
        using var bitmap = Decode(UnitCard.RenderPng("conv2", unit, tiles, tileSize: 64));
        var (w, h) = UnitCard.Size(3, 64);
        (bitmap.Width, bitmap.Height).Should().Be((w, h));
        InkPixels(bitmap, 0, 0, w, 26).Should().BeGreaterThan(150, because: "the layer and unit are written on the first line");
        PixelsOfColour(bitmap, CategoryPalette.TextColorOf(unit.Label!.Category), tolerance: 8).Should().BeGreaterThan(30,
            because: "the label is written in its category's colour");
        PixelsOfColour(bitmap, new SKColor(255, 214, 0)).Should().BeGreaterThanOrEqualTo(3 * 64, because: "each tile's mask edge is outlined");
    }

    [Fact]
    public void Tile_keeps_the_image_inside_the_mask_dims_it_outside_and_outlines_the_edge()
    {
        var gray = new UnitScope.Engine.Imaging.RgbImage(8, 8, 3, Enumerable.Repeat((byte)200, 8 * 8 * 3).ToArray());
        var left = Enumerable.Range(0, 4 * 4).Select(i => i % 4 < 2).ToArray();
        using var tile = UnitCard.RenderTile(new UnitCardTile(gray, left, 4, 4, 0, 1f), 32);
        tile.GetPixel(4, 16).Should().Be(new SKColor(200, 200, 200));
        tile.GetPixel(28, 16).Should().Be(new SKColor(60, 60, 60));
        tile.GetPixel(15, 16).Should().Be(new SKColor(255, 214, 0), because: "the last column inside the mask is its edge");
        tile.GetPixel(0, 16).Should().Be(new SKColor(200, 200, 200), because: "the image border is not a mask edge");
    }

    [Fact]
    public void A_card_without_top_images_still_renders()
    {
        var unit = Dissection().Units[1] with { TopImages = [] };
        using var bitmap = Decode(UnitCard.RenderPng("conv2", unit, []));
        (bitmap.Width, bitmap.Height).Should().Be(UnitCard.Size(0));
    }
}
