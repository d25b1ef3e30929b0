using UnitScope.Engine.Analysis;
using UnitScope.Server.Analysis;

namespace UnitScope.Server.Tests;

/// <summary>Progress lines of occlusion and ablation: the phase in words, the count, and a share of the bar per phase that never goes back.</summary>
public class AnalysisProgressTextTests
{
    private static List<(string Message, int Percentage)> Lines(IReadOnlyList<(AnalysisPhase, int)> plan, params AnalysisProgress[] steps)
    {
        var text = new AnalysisProgressText(plan);
        return steps.Select(s => text.Update(s)).Select(l => (l.Message, l.Percentage)).ToList();
    }

    [Fact]
    public void Building_the_probe_set_takes_the_first_tenth_and_a_skipped_build_starts_past_it() =>
        Lines(AnalysisProgressText.Ablation, new(AnalysisPhase.Dataset, 500, 1000), new(AnalysisPhase.Ablation, 0, 4000), new(AnalysisPhase.Ablation, 2000, 4000), new(AnalysisPhase.Ablation, 4000, 4000))
            .Should().Equal(
                ("building the probe set: 500/1000 images", 5),
                ("zeroing units: 0/4000 evaluations", 10),
                ("zeroing units: 2000/4000 evaluations", 55),
                ("zeroing units: 4000/4000 evaluations", 100));

    [Fact]
    public void Ranking_counts_evaluations_of_single_units_then_of_the_curve() =>
        Lines(AnalysisProgressText.Ranking, new(AnalysisPhase.Units, 160, 640), new(AnalysisPhase.Curve, 30, 60))
            .Should().Equal(("zeroing each unit alone: 160/640 evaluations", 27), ("top-k vs random-k: 30/60 evaluations", 90));

    [Fact]
    public void The_percentage_never_decreases_and_phases_outside_the_plan_keep_it() =>
        Lines(AnalysisProgressText.Occlusion, new(AnalysisPhase.Occlusion, 30, 40), new(AnalysisPhase.Occlusion, 10, 40), new(AnalysisPhase.Activations, 1, 2), new(AnalysisPhase.Occlusion, 40, 40))
            .Should().Equal(("occluding: 30/40 positions", 75), ("occluding: 10/40 positions", 75), ("activations: 1/2 images", 75), ("occluding: 40/40 positions", 100));
}
