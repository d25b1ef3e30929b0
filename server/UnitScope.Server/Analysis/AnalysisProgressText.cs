using System.Globalization;
using UnitScope.Engine.Analysis;

namespace UnitScope.Server.Analysis;

/// <summary>
/// Turns an analysis's progress into LSP progress lines such as "zeroing units: 320/4000 evaluations" (an
/// evaluation: one image under one set of zeroed units) with an overall percentage that never decreases.
/// Each method has a plan: its phases in order with the share of the bar each takes; a phase that does not
/// happen (the probe set already built) is skipped over.
/// </summary>
internal sealed class AnalysisProgressText(IReadOnlyList<(AnalysisPhase Phase, int Share)> plan) : IProgressLines<AnalysisProgress>
{
    public static readonly IReadOnlyList<(AnalysisPhase, int)> Occlusion = [(AnalysisPhase.Occlusion, 100)];

    public static readonly IReadOnlyList<(AnalysisPhase, int)> Ablation = [(AnalysisPhase.Dataset, 10), (AnalysisPhase.Ablation, 90)];

    public static readonly IReadOnlyList<(AnalysisPhase, int)> Ranking =
        [(AnalysisPhase.Dataset, 10), (AnalysisPhase.Units, 70), (AnalysisPhase.Curve, 20)];

    public static readonly IReadOnlyList<(AnalysisPhase, int)> UnitClass = [(AnalysisPhase.Dataset, 10), (AnalysisPhase.Activations, 90)];

    public static readonly IReadOnlyList<(AnalysisPhase, int)> Maximization = [(AnalysisPhase.Maximization, 100)];

    public static readonly IReadOnlyList<(AnalysisPhase, int)> Invariance = [(AnalysisPhase.Invariance, 100)];

    public static readonly IReadOnlyList<(AnalysisPhase, int)> Correspondence = [(AnalysisPhase.Correspondence, 100)];
    public static readonly IReadOnlyList<(AnalysisPhase, int)> Comparison = [(AnalysisPhase.Dataset, 10), (AnalysisPhase.Comparison, 90)];

    public static readonly IReadOnlyList<(AnalysisPhase, int)> ExplanatoryGraph =
        [(AnalysisPhase.Dataset, 10), (AnalysisPhase.Peaks, 40), (AnalysisPhase.Mining, 50)];

    /// <summary>An attack: its steps, the unit changes, and (with an evaluation set) the two classes' rankings.</summary>
    public static readonly IReadOnlyList<(AnalysisPhase, int)> Attack =
        [(AnalysisPhase.Dataset, 5), (AnalysisPhase.Attack, 30), (AnalysisPhase.UnitChanges, 5), (AnalysisPhase.Units, 50), (AnalysisPhase.Curve, 10)];

    /// <summary>Pass 1 generates and segments the samples too, so it takes most of the bar.</summary>
    public static readonly IReadOnlyList<(AnalysisPhase, int)> GanDissection =
        [(AnalysisPhase.Thresholds, 80), (AnalysisPhase.Quantiles, 10), (AnalysisPhase.Iou, 10)];

    /// <summary>The layer's dissection when the cache lacks it, then the edits.</summary>
    public static readonly IReadOnlyList<(AnalysisPhase, int)> GanEdit =
        [(AnalysisPhase.Thresholds, 40), (AnalysisPhase.Quantiles, 5), (AnalysisPhase.Iou, 5), (AnalysisPhase.GanEdit, 50)];

    private readonly int _total = Math.Max(1, plan.Sum(p => p.Share));
    private int _percentage;

    public ProgressLine Update(AnalysisProgress p)
    {
        var within = p.Total > 0 ? Math.Clamp((double)p.Done / p.Total, 0, 1) : 0;
        var index = -1;
        for (var i = 0; i < plan.Count; i++)
            if (plan[i].Phase == p.Phase) index = i;
        if (index >= 0)
        {
            var before = plan.Take(index).Sum(s => s.Share);
            var percentage = (int)((before + within * plan[index].Share) * 100 / _total);
            _percentage = Math.Max(_percentage, Math.Min(percentage, 100));
        }
        var count = p.Total > 0
            ? $"{p.Done.ToString(CultureInfo.InvariantCulture)}/{p.Total.ToString(CultureInfo.InvariantCulture)} {Noun(p.Phase)}"
            : "";
        var what = PhaseText(p.Phase);
        return new ProgressLine(count.Length == 0 ? what : $"{what}: {count}", _percentage, Stage(p.Phase));
    }

    /// <summary>The phase in words, as progress lines say it.</summary>
    public static string PhaseText(AnalysisPhase phase) => phase switch
    {
        AnalysisPhase.Dataset => "building the probe set",
        AnalysisPhase.Cached => "from the cache",
        AnalysisPhase.Thresholds => "threshold pass",
        AnalysisPhase.Quantiles => "exact thresholds",
        AnalysisPhase.Iou => "IoU pass",
        AnalysisPhase.Occlusion => "occluding",
        AnalysisPhase.Ablation => "zeroing units",
        AnalysisPhase.Units => "zeroing each unit alone",
        AnalysisPhase.Curve => "top-k vs random-k",
        AnalysisPhase.Activations => "activations",
        AnalysisPhase.TopActivations => "strongest activations",
        AnalysisPhase.Projections => "projections",
        AnalysisPhase.Maximization => "optimising the image",
        AnalysisPhase.Invariance => "transforming",
        AnalysisPhase.Correspondence => "occluding parts",
        AnalysisPhase.Peaks => "activation peaks",
        AnalysisPhase.Mining => "mining the layers",
        AnalysisPhase.Attack => "attacking",
        AnalysisPhase.UnitChanges => "unit changes",
        AnalysisPhase.Comparison => "comparing",
        AnalysisPhase.GanEdit => "generating edited samples",
        _ => phase.ToString(),
    };

    /// <summary>The stage a progress line belongs to (a new stage is always sent): the phase's name in lower case.</summary>
    public static string Stage(AnalysisPhase phase) => phase.ToString().ToLowerInvariant();

    private static string Noun(AnalysisPhase phase) => phase switch
    {
        AnalysisPhase.Occlusion => "positions",
        AnalysisPhase.Ablation or AnalysisPhase.Units or AnalysisPhase.Curve => "evaluations",
        AnalysisPhase.Projections => "activations",
        AnalysisPhase.Maximization => "steps",
        AnalysisPhase.Mining => "iterations",
        AnalysisPhase.Attack => "steps",
        AnalysisPhase.GanEdit => "samples",
        _ => "images",
    };
}
