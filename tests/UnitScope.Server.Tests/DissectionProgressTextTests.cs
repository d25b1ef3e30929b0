using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Server.Dissection;

namespace UnitScope.Server.Tests;

/// <summary>Engine progress → LSP progress lines: what they say and a percentage that never goes back.</summary>
public class DissectionProgressTextTests
{
    private static LayerDissection Done(string layer) => new(layer, "c", "d", new DissectionOptions(), 40, [], new Dictionary<string, int>());

    [Fact]
    public void Lines_name_the_phase_the_layers_and_the_images_done_and_the_bar_follows_what_phases_cost()
    {
        var text = new DissectionProgressText(["conv3", "conv4"]);
        var lines = new[]
        {
            new DissectionProgress(AnalysisPhase.Dataset, 1000, 2000),
            new DissectionProgress(AnalysisPhase.Thresholds, 640, 2000),
            new DissectionProgress(AnalysisPhase.Thresholds, 2000, 2000),
            new DissectionProgress(AnalysisPhase.Quantiles, 140, 2000) { Layer = "conv3", Round = 1 },
            new DissectionProgress(AnalysisPhase.Iou, 640, 2000) { Layer = "conv3" },
            new DissectionProgress(AnalysisPhase.Iou, 2000, 2000, Done("conv3")) { Layer = "conv3" },
            new DissectionProgress(AnalysisPhase.Iou, 1000, 2000) { Layer = "conv4" },
            new DissectionProgress(AnalysisPhase.Iou, 2000, 2000, Done("conv4")) { Layer = "conv4" },
        }.Select(text.Update).ToList();

        lines.Select(l => l.Message).Should().Equal(
            "building the probe set, 1000/2000 images",
            "conv3, conv4: threshold pass, 640/2000 images",
            "conv3, conv4: threshold pass, 2000/2000 images",
            "conv3: exact thresholds, round 1, 140/2000 images (layer 1 of 2)",
            "conv3: IoU pass, 640/2000 images (layer 1 of 2)",
            "conv3: IoU pass, 2000/2000 images (layer 1 of 2)",
            "conv4: IoU pass, 1000/2000 images (layer 2 of 2)",
            "conv4: IoU pass, 2000/2000 images (layer 2 of 2)");
        // The threshold pass (the forward passes) takes 80% of what follows the dataset.
        lines.Select(l => l.Percentage).Should().Equal(5, 33, 82, 82, 87, 91, 97, 100);
        lines.Select(l => l.Stage).Distinct().Should().HaveCount(5);
    }

    [Fact]
    public void A_single_layer_has_no_layer_count_and_the_percentage_never_goes_back()
    {
        var text = new DissectionProgressText(["conv1"]);
        text.Update(new DissectionProgress(AnalysisPhase.Iou, 30, 40) { Layer = "conv1" }).Message.Should().Be("conv1: IoU pass, 30/40 images");
        var later = text.Update(new DissectionProgress(AnalysisPhase.Thresholds, 10, 40));
        later.Percentage.Should().BeGreaterThanOrEqualTo(97, "the IoU pass of the only layer had reached 97%");
        text.Update(new DissectionProgress(AnalysisPhase.Cached, 40, 40, Done("conv1"))).Message.Should().Be("conv1: from the cache");
        text.Update(new DissectionProgress(AnalysisPhase.Thresholds, 0, 0)).Message.Should().Be("conv1: threshold pass");
    }
}
