using SkiaSharp;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering.Charts;
using static UnitScope.Rendering.Tests.Report.ReportSamples;

namespace UnitScope.Rendering.Tests.AnalysisCharts;

/// <summary>
/// The occlusion and ablation figures from hand-made results: they decode at their stated sizes, draw in the
/// charts' colours where they should, and put each map where its square was. Set UNITSCOPE_CHART_DUMP to a
/// folder to keep the PNGs for a look.
/// </summary>
public class AnalysisChartTests
{
    static SKBitmap Keep(byte[] png, string name)
    {
        if (Environment.GetEnvironmentVariable("UNITSCOPE_CHART_DUMP") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, name + ".png"), png);
        }
        return Decode(png);
    }

    /// <summary>A 4×4 grid of 16-px squares, stride 16, on a 64×64 input: the probability is low only top-left.</summary>
    static OcclusionResult Occlusion(bool unit = true)
    {
        int[] starts = [0, 16, 32, 48];
        var probability = Enumerable.Repeat(0.9f, 16).ToArray();
        probability[0] = 0.1f;
        var classes = Enumerable.Repeat(2, 16).ToArray();
        classes[0] = 1;
        classes[1] = 1;
        var activity = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        return new OcclusionResult("c", "i", new OcclusionOptions { Size = 16, Stride = 16, Layer = "conv4", Unit = unit ? 7 : null, TargetClass = 2 },
            64, 64, starts, starts, ["cat", "dog", "street"], 2, 0.95f, 2, 0.95f, probability, classes, Enumerable.Repeat(0.8f, 16).ToArray(),
            unit ? 10f : null, unit ? activity : null);
    }

    static RgbImage Gray(int width, int height) => new(width, height, 3, Enumerable.Repeat((byte)128, width * height * 3).ToArray());

    [Fact]
    public void An_occlusion_overlay_is_the_image_size_and_darkest_where_the_probability_dropped()
    {
        var result = Occlusion();
        using var overlay = Keep(OcclusionFigure.OverlayPng(Gray(128, 128), result, OcclusionMap.TargetProbability), "occlusion-overlay");
        (overlay.Width, overlay.Height).Should().Be((128, 128));
        // Viridis: low = dark purple, high = yellow; the top-left square (at 2× scale) holds the drop.
        var low = overlay.GetPixel(8, 8);
        var high = overlay.GetPixel(100, 100);
        (low.Red + low.Green).Should().BeLessThan(high.Red + high.Green);
        var classes = Decode(OcclusionFigure.OverlayPng(Gray(64, 64), result, OcclusionMap.MostProbableClass));
        classes.GetPixel(4, 4).Should().NotBe(classes.GetPixel(60, 60), "two classes, two colours");
        classes.GetPixel(20, 4).Should().Be(classes.GetPixel(4, 4), "the first two squares both say dog");
    }

    [Fact]
    public void The_class_legend_ranks_classes_by_positions_won()
    {
        var legend = OcclusionFigure.ClassLegend(Occlusion());
        legend.Select(l => (l.Name, l.Positions)).Should().Equal(("street", 14), ("dog", 2));
        legend[0].Color.Should().Be(AnalysisColors.ForClassRank(0));
        legend.Select(l => l.Color).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void The_figure_7_composite_has_four_panels_or_three_without_a_unit()
    {
        using var four = Keep(OcclusionFigure.RenderPng(Gray(100, 80), Occlusion(), panelSize: 128), "occlusion-figure");
        using var three = Decode(OcclusionFigure.RenderPng(Gray(100, 80), Occlusion(unit: false), panelSize: 128));
        four.Width.Should().Be(16 + 4 * (128 + 16));
        three.Width.Should().Be(16 + 3 * (128 + 16));
        four.Height.Should().Be(three.Height);
        InkPixels(four, 16, 10, 600, 40).Should().BeGreaterThan(300, "the title");
        PixelsOfColour(four, AnalysisColors.ForClassRank(1)).Should().BeGreaterThan(20, "the legend chip of the second class");
        var unitMap = () => OcclusionFigure.Overlay(Gray(10, 10), Occlusion(unit: false), OcclusionMap.UnitActivity);
        unitMap.Should().Throw<ArgumentException>().WithMessage("*no unit activity*");
    }

    [Fact]
    public void A_one_output_model_is_drawn_without_a_class_map()
    {
        // A discriminator: one output, a score; occlusion follows the score itself (the engine's Scores).
        var one = Occlusion() with
        {
            ClassNames = ["real"],
            TargetClass = 0,
            BasePredictedClass = 0,
            BaseTargetProbability = 2.5f,
            MostProbableClass = new int[16]
        };
        using var figure = Keep(OcclusionFigure.RenderPng(Gray(100, 80), one, panelSize: 128), "occlusion-figure-one-output");
        figure.Width.Should().Be(16 + 3 * (128 + 16), "image, output map and unit map: no class map");
        PixelsOfColour(figure, AnalysisColors.ForClassRank(0)).Should().Be(0, "no class legend");
        using var classes = Decode(OcclusionFigure.RenderPng(Gray(100, 80), Occlusion(), panelSize: 128));
        PixelsOfColour(classes, AnalysisColors.ForClassRank(0)).Should().BeGreaterThan(20, "with classes, the legend's first chip");
    }

    static AblationResult Ablation(bool control = true) => new("c", "d", "probe", "features.27", 64, [1, 5, 9],
        control ? [[2, 3, 4], [6, 7, 8]] : [], 600, 0.9, 0.6, control ? 0.88 : null,
        [
            new ClassAccuracy(1, "beach", 100, 1.0, 0.2, control ? 0.98 : null, -0.01, -2.0, control ? -0.05 : null),
            new ClassAccuracy(0, "street", 100, 0.9, 0.85, control ? 0.9 : null, -0.1, -0.2, control ? -0.1 : null),
            new ClassAccuracy(2, "forest", 100, 0.8, 0.9, control ? 0.8 : null, -0.3, -0.2, control ? -0.3 : null),
        ]);

    [Fact]
    public void The_ablation_chart_draws_before_after_and_control_bars_per_class()
    {
        var result = Ablation();
        using var chart = Keep(AblationChart.RenderPng(result), "ablation");
        (chart.Width, chart.Height).Should().Be((AblationChart.DefaultWidth, AblationChart.Height(result)));
        PixelsOfColour(chart, AnalysisColors.Before).Should().BeGreaterThan(1500);
        PixelsOfColour(chart, AnalysisColors.Removed).Should().BeGreaterThan(800);
        PixelsOfColour(chart, AnalysisColors.Random).Should().BeGreaterThan(1500);
        using var plain = Decode(AblationChart.RenderPng(Ablation(control: false)));
        PixelsOfColour(plain, AnalysisColors.Random).Should().Be(0, "no control, no blue");
        plain.Height.Should().BeLessThan(chart.Height);
    }

    [Fact]
    public void The_removal_curve_chart_draws_both_curves_in_two_panels()
    {
        var ranking = new UnitRanking("c", "d", "probe", "features.27", 4, "beach", RankingMetric.LogProbability, 150, 1.0, -0.01,
            [new RankedUnit(3, 0.1, 0.5, "sea", "object", 0.12), new RankedUnit(1, 0.05, 0.2)],
            [.. Enumerable.Range(1, 8).Select(k => new RemovalCurvePoint(k, 1 - k * 0.1, 0.99, 0.01, -0.01 - k * 0.5, -0.02, 0.01))], 4);
        using var chart = Keep(RemovalCurveChart.RenderPng(ranking), "removal-curve");
        chart.Width.Should().Be(RemovalCurveChart.DefaultWidth);
        PixelsOfColour(chart, AnalysisColors.Removed, tolerance: 10).Should().BeGreaterThan(400);
        PixelsOfColour(chart, AnalysisColors.Random, tolerance: 10).Should().BeGreaterThan(400);
        // The top-k curve ends low in the left (accuracy) panel: red pixels in its lower half.
        int redLow = 0;
        for (int y = chart.Height / 2; y < chart.Height - 60; y++)
            for (int x = 100; x < chart.Width / 2; x++)
                if (Near(chart.GetPixel(x, y), AnalysisColors.Removed)) redLow++;
        redLow.Should().BeGreaterThan(20);
    }

    [Fact]
    public void The_jitter_plot_puts_the_class_right_of_the_rest_when_it_fires_more()
    {
        var rng = new Random(1);
        var stats = new SingleUnitStats("c", "d", "probe", "features.27", 12, 4, "beach", UnitStatistic.Max,
            [.. Enumerable.Range(0, 100).Select(_ => (float)(80 + 10 * rng.NextDouble()))],
            [.. Enumerable.Range(0, 300).Select(_ => (float)(5 * rng.NextDouble()))], 85, 2.5, 1.0, "sea");
        using var plot = Keep(JitterPlot.RenderPng(stats), "jitter");
        plot.Width.Should().Be(JitterPlot.DefaultWidth);
        double ClassX(SKColor colour, int y0, int y1)
        {
            var xs = new List<int>();
            for (int y = y0; y < y1; y++)
                for (int x = 0; x < plot.Width; x++)
                    if (Near(plot.GetPixel(x, y), colour, 40)) xs.Add(x);
            xs.Should().NotBeEmpty();
            return xs.Average();
        }
        int mid = (80 + plot.Height - 50) / 2;
        ClassX(AnalysisColors.InClass, 80, mid).Should().BeGreaterThan(plot.Width * 0.7);
        ClassX(AnalysisColors.Others, mid, plot.Height - 50).Should().BeLessThan(plot.Width * 0.4);
    }

    static bool Near(SKColor a, SKColor b, int tolerance = 10) =>
        Math.Abs(a.Red - b.Red) <= tolerance && Math.Abs(a.Green - b.Green) <= tolerance && Math.Abs(a.Blue - b.Blue) <= tolerance;
}
