using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Storage;

namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>
/// Each matched pair's labels, from the dissections the store holds for both checkpoints: a layer gets them only when
/// both sides were dissected on the same probe set with the same options (labels from different probe sets or
/// thresholds are not comparable). Attached when a comparison is shown, not stored with it: a dissection may come later.
/// </summary>
public static class ComparisonLabels
{
    public static ComparisonResult Attach(ComparisonResult result, DissectionStore store)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(store);
        var ofA = store.ListFor(result.CheckpointA).ToList();
        var ofB = result.CheckpointB == result.CheckpointA ? ofA : store.ListFor(result.CheckpointB).ToList();
        return result with { Layers = [.. result.Layers.Select(layer => Attach(layer, ofA, ofB))] };
    }

    static LayerComparison Attach(LayerComparison layer, IReadOnlyList<LayerDissection> ofA, IReadOnlyList<LayerDissection> ofB)
    {
        var pair = ofA.Where(d => d.Layer == layer.Layer)
            .SelectMany(a => ofB.Where(b => b.Layer == layer.Layer && b.DatasetHash == a.DatasetHash && b.Options == a.Options).Select(b => (A: a, B: b)))
            .FirstOrDefault();
        if (pair.A is null) return layer;
        var labelsA = pair.A.Units.ToDictionary(u => u.Unit, u => u.Label?.Concept);
        var labelsB = pair.B.Units.ToDictionary(u => u.Unit, u => u.Label?.Concept);
        return layer with
        {
            LabelsFrom = pair.A.DatasetHash,
            Matches = [.. layer.Matches.Select(m =>
            {
                string? a = labelsA.GetValueOrDefault(m.UnitA), b = labelsB.GetValueOrDefault(m.UnitB);
                return m with { LabelA = a, LabelB = b, LabelChanged = !string.Equals(a, b, StringComparison.Ordinal) };
            })],
        };
    }
}
