using System.Globalization;
using UnitScope.Server.Dissection;

namespace UnitScope.Server.Analysis;

/// <summary>
/// Turns an analysis's progress into LSP progress lines such as "zeroing units: 320/4000 evaluations" (an
/// evaluation: one image under one set of zeroed units) with
/// an overall percentage that never decreases. Each method has a plan: its phases in order with the
/// share of the bar each takes; a phase that does not happen (the probe set already built) is skipped over. Not thread-safe: the engine reports from one thread.
/// </summary>
internal sealed class AnalysisProgressText(IReadOnlyList<(string Phase, int Share)> plan)
{
    public static readonly IReadOnlyList<(string, int)> Occlusion = [("occlusion", 100)];

    public static readonly IReadOnlyList<(string, int)> Ablation = [("dataset", 10), ("ablation", 90)];

    public static readonly IReadOnlyList<(string, int)> Ranking = [("dataset", 10), ("units", 70), ("curve", 20)];

    public static readonly IReadOnlyList<(string, int)> UnitClass = [("dataset", 10), ("activations", 90)];

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
        return new ProgressLine(count.Length == 0 ? what : $"{what}: {count}", _percentage, p.Phase);
    }

    public static string PhaseText(string phase) => phase switch
    {
        "dataset" => "building the probe set",
        "occlusion" => "occluding",
        "ablation" => "zeroing units",
        "units" => "zeroing each unit alone",
        "curve" => "top-k vs random-k",
        "activations" => "activations",
        _ => phase,
    };

    private static string Noun(string phase) => phase switch
    {
        "occlusion" => "positions",
        "ablation" or "units" or "curve" => "evaluations",
        _ => "images",
    };
}
