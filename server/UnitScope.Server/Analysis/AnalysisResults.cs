using System.Globalization;
using UnitScope.Protocol;
using UnitScope.Server.Dissection;

namespace UnitScope.Server.Analysis;

/// <summary>The orders the protocol promises, the dissection labels the daemon adds, and the one-line summaries progress ends with.</summary>
internal static class AnalysisResults
{
    /// <summary>Classes by change (after − before), largest drop first; ties by class index.</summary>
    public static IReadOnlyList<ClassAccuracy> ByChange(IEnumerable<ClassAccuracy> classes) =>
        [.. classes.OrderBy(c => c.After - c.Before).ThenBy(c => c.Class)];

    /// <summary>Units by drop, largest first; ties by unit.</summary>
    public static IReadOnlyList<RankedUnit> ByDrop(IEnumerable<RankedUnit> units) =>
        [.. units.OrderByDescending(u => u.Drop).ThenBy(u => u.Unit)];

    /// <summary>
    /// The labels of the layer's default dissection (default options on the connection's dataset, the
    /// one its hovers show) by unit, when it is cached; empty otherwise. Only labelled units are in it.
    /// </summary>
    public static IReadOnlyDictionary<int, ConceptScore> Labels(IDissectionEngine dissection, string checkpointHash, string layer, DatasetSpec dataset)
    {
        var found = DissectionCache.FindDefault(dissection, checkpointHash, layer, dataset);
        if (found is null) return new Dictionary<int, ConceptScore>();
        return found.Units.Where(u => u.Label is not null).ToDictionary(u => u.Unit, u => DissectionMapping.ToProtocol(u.Label!));
    }

    public static IReadOnlyList<RankedUnit> Labelled(IEnumerable<RankedUnit> units, IReadOnlyDictionary<int, ConceptScore> labels) =>
        [.. units.Select(u => labels.TryGetValue(u.Unit, out var label) ? u with { Label = label } : u with { Label = null })];

    public static string Number(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Percent(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Summary(OccludeResult r) =>
        $"{r.TargetLabel}: p = {Number(r.TargetProbability)} unoccluded, {Number(r.Probability.Min)} at the most sensitive position";

    public static string Summary(AblateResult r) =>
        $"overall accuracy {Percent(r.OverallBefore)} → {Percent(r.OverallAfter)}"
        + (r.Control is { } c ? $" (random control: {Percent(c.OverallAfter)})" : "");

    public static string Summary(RankUnitsResult r, IReadOnlyList<RankedUnit> ranked) =>
        ranked.Count == 0
            ? $"{r.ClassLabel}: no units"
            : $"{r.ClassLabel}: unit {ranked[0].Unit} matters most (drop {Number(ranked[0].Drop)})";

    public static string Summary(UnitClassStatsResult r) =>
        $"unit {r.Unit}: mean {Number(r.InClass.Mean)} on {r.ClassLabel} vs {Number(r.Rest.Mean)} on the rest (AUC {Number(r.Auc)})";

    public static string Summary(VisualizeResult r) =>
        $"unit {r.Unit}: {Number(r.FinalActivation)} on the optimised image, rank {r.Hypothesis.Rank} of {r.Hypothesis.MeanActivations.Count} in {r.Layer}";

    public static string Summary(InvarianceResult r) =>
        $"{r.Images.Count} image(s), {r.Sweeps.Count} transformation(s) at {r.Layers.Count} layer(s)";

    public static string Summary(GanDissectResult r) =>
        $"{r.Layer}: {r.Units.Count(u => u.Concept is not null)} of {r.Units.Count} units labelled over {r.SampleCount} samples";

    public static string Summary(GanEditResult r) =>
        $"{r.Concept}: {Percent(r.Ablation.AreaBefore)} → {Percent(r.Ablation.AreaTopAblated)} with its top units ablated"
        + (r.Insertion is { } i ? $"; inserted: {Percent(i.InsideBefore)} → {Percent(i.InsideAfter)} inside the region" : "");

    public static string Summary(CorrespondenceResult r) =>
        string.Join("; ", r.Parts.Select(p => $"{p.Part}: Δ {string.Join(", ", p.Layers.Select(l => $"{Number(l.Delta)} vs random {Number(l.RandomDelta)}"))}"));
}
