using System.Globalization;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Analysis.Ablation;

/// <summary>Dissection labels for ablation results, from the dissections stored for the checkpoint.</summary>
public static class UnitLabels
{
    /// <summary>
    /// The stored dissection of <paramref name="layer"/> to take labels from, when there is one: among those for
    /// the checkpoint (any probe set or options), the one over the most images, then with the default options.
    /// </summary>
    public static LayerDissection? Find(DissectionStore store, string checkpointHash, string layer)
    {
        ArgumentNullException.ThrowIfNull(store);
        var defaults = new DissectionOptions();
        return store.ListFor(checkpointHash)
            .Where(d => d.Layer == layer)
            .OrderByDescending(d => d.ImageCount)
            .ThenByDescending(d => d.Options with { BatchSize = defaults.BatchSize } == defaults)
            .ThenBy(d => d.DatasetHash, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>The ranking with each unit's label (concept, category, IoU) from <see cref="Find"/>'s dissection; unchanged without one.</summary>
    public static UnitRanking Attach(UnitRanking ranking, DissectionStore store)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        return Find(store, ranking.CheckpointHash, ranking.Layer) is { } dissection ? Attach(ranking, dissection) : ranking;
    }

    public static UnitRanking Attach(UnitRanking ranking, LayerDissection dissection)
    {
        ArgumentNullException.ThrowIfNull(ranking);
        ArgumentNullException.ThrowIfNull(dissection);
        var byUnit = dissection.Units.ToDictionary(u => u.Unit);
        return ranking with
        {
            Units = [.. ranking.Units.Select(r => byUnit.TryGetValue(r.Unit, out var u) && u.Label is { } label
                ? r with { Label = label.Concept, LabelCategory = label.Category, LabelIou = label.Iou }
                : r with { Label = null, LabelCategory = null, LabelIou = null })],
            LabelSource = Source(dissection),
        };
    }

    /// <summary>The unit's label from <see cref="Find"/>'s dissection; unchanged without one.</summary>
    public static SingleUnitStats Attach(SingleUnitStats stats, DissectionStore store)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var unit = Find(store, stats.CheckpointHash, stats.Layer)?.Units.FirstOrDefault(u => u.Unit == stats.Unit);
        return unit?.Label is { } label ? stats with { Label = label.Concept } : stats;
    }

    /// <summary>The label of each unit of <paramref name="layer"/> that has one (for pickers and reports).</summary>
    public static IReadOnlyDictionary<int, ConceptScore> Labels(DissectionStore store, string checkpointHash, string layer) =>
        Find(store, checkpointHash, layer) is { } d
            ? d.Units.Where(u => u.Label is not null).ToDictionary(u => u.Unit, u => u.Label!)
            : new Dictionary<int, ConceptScore>();

    /// <summary>Which dissection labels came from, in words (probe set, images, options).</summary>
    public static string Source(LayerDissection d) => string.Create(CultureInfo.InvariantCulture,
        $"dissection of {d.Layer} over {d.ImageCount} probe images (IoU > {d.Options.IouThreshold:0.###}, top {d.Options.Quantile * 100:0.###}%)");
}
