using SkiaSharp;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Rendering.Charts;
using static UnitScope.Rendering.Tests.Report.ReportSamples;

namespace UnitScope.Rendering.Tests.AnalysisCharts;

/// <summary>
/// A layer over a run from a hand-made run of three checkpoints of a 10-unit layer: the stacked bars are as tall as the
/// share of units labelled per category, categories keep their colours, the legend lists only categories with a labelled
/// unit, the lines are drawn, and a layer the run does not follow is refused.
/// </summary>
public class EvolutionChartTests
{
    static LayerSnapshot Layer(double dead, double? change, Dictionary<string, int>? labelled) =>
        new("conv3", 10, 0.5, dead, 0.6, "conv3", 4.0, change) { Labelled = labelled?.Values.Sum(), LabelledByCategory = labelled };

    static EvolutionResult Run() => new("d", "probe", 8, ["conv3"],
    [
        new CheckpointSnapshot("a", ["epoch_1.pth"], 1, null, [Layer(0.5, null, new() { ["color"] = 0, ["material"] = 0 })]),
        new CheckpointSnapshot("b", ["epoch_2.pth"], 2, null, [Layer(0.3, 0.5, new() { ["color"] = 2 })]),
        new CheckpointSnapshot("c", ["last.pth"], null, null, [Layer(0.8, 0.9, new() { ["color"] = 4, ["texture"] = 3 })]),
    ]);

    /// <summary>Per column of the plot area (below the legend), how many pixels have the colour.</summary>
    static int[] Columns(SKBitmap chart, SKColor colour)
    {
        var counts = new int[chart.Width];
        for (int x = 0; x < chart.Width; x++)
            for (int y = 80; y < chart.Height; y++)
                if (Is(chart, x, y, colour)) counts[x]++;
        return counts;
    }

    static bool Is(SKBitmap bitmap, int x, int y, SKColor colour)
    {
        var c = bitmap.GetPixel(x, y);
        return Math.Abs(c.Red - colour.Red) <= 2 && Math.Abs(c.Green - colour.Green) <= 2 && Math.Abs(c.Blue - colour.Blue) <= 2;
    }

    /// <summary>The tallest column of each run of adjacent columns holding the colour, left to right.</summary>
    static List<int> Bars(int[] columns)
    {
        var bars = new List<int>();
        for (int x = 0; x < columns.Length; x++)
        {
            if (columns[x] == 0) continue;
            int tallest = 0;
            for (; x < columns.Length && columns[x] > 0; x++) tallest = Math.Max(tallest, columns[x]);
            bars.Add(tallest);
        }
        return bars;
    }

    [Fact]
    public void The_bars_stack_the_labelled_share_per_category_at_each_checkpoint()
    {
        var chart = Decode(EvolutionChart.RenderPng(Run(), "conv3", 700));
        chart.Width.Should().Be(700);
        chart.Height.Should().Be(EvolutionChart.Height);
        // The plot spans 210 px for 0..100%: 2 and 4 of 10 units are 42 and 84 px of colour; 3 are 63 of texture.
        var color = Bars(Columns(chart, CategoryPalette.ColorOf("color")));
        color.Should().HaveCount(2, "no bar where nothing is labelled");
        color[0].Should().BeCloseTo(42, 3);
        color[1].Should().BeCloseTo(84, 3);
        Bars(Columns(chart, CategoryPalette.ColorOf("texture"))).Should().ContainSingle().Which.Should().BeCloseTo(63, 3);
        PixelsOfColour(chart, CategoryPalette.ColorOf("material")).Should().Be(0, "no unit is labelled a material: not even in the legend");
        int LegendChip(SKColor colour) => Enumerable.Range(0, chart.Width).Sum(x => Enumerable.Range(46, 14).Count(y => Is(chart, x, y, colour)));
        LegendChip(CategoryPalette.ColorOf("texture")).Should().BeGreaterThan(50, "texture's chip is in the legend");
        PixelsOfColour(chart, EvolutionChart.Dead).Should().BeGreaterThan(300, "the dead-unit line across the run");
        PixelsOfColour(chart, EvolutionChart.WeightChange).Should().BeGreaterThan(40, "the weight-change line from the second checkpoint on");
        InkPixels(chart, 16, 10, 600, 40).Should().BeGreaterThan(300, "the title");
    }

    [Fact]
    public void An_undissected_run_has_lines_and_no_bars_and_a_layer_not_followed_is_refused()
    {
        var plain = Run() with { Checkpoints = [.. Run().Checkpoints.Select(c => c with { Layers = [c.Layers[0] with { Labelled = null, LabelledByCategory = null }] })] };
        var chart = Decode(EvolutionChart.RenderPng(plain, "conv3"));
        Bars(Columns(chart, CategoryPalette.ColorOf("color"))).Should().BeEmpty();
        PixelsOfColour(chart, EvolutionChart.Dead).Should().BeGreaterThan(300);
        FluentActions.Invoking(() => EvolutionChart.Render(plain, "conv9")).Should().Throw<ArgumentException>().WithMessage("*conv9*");
        EvolutionChart.Name(plain.Checkpoints[2], 2).Should().Be("#3");
        EvolutionChart.Name(plain.Checkpoints[1], 1).Should().Be("epoch 2");
    }
}
