namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>What <see cref="CheckpointComparison.Run"/> compares.</summary>
public sealed record ComparisonOptions
{
    /// <summary>Layers to compare (null or empty: <see cref="CheckpointComparison.DefaultLayers"/>, every layer with weights of its own).</summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>Images per forward pass of each model (speed and memory, not the result).</summary>
    public int BatchSize { get; init; } = 8;
}

/// <summary>
/// A unit of checkpoint A and the unit of B it was matched to, their activations' correlation over the images and
/// positions (null when either unit is constant there), and, where both layers were dissected on the same probe set
/// with the same options, each unit's label (null: no label) and whether it changed.
/// </summary>
public sealed record UnitMatch(int UnitA, int UnitB, double? Correlation)
{
    public string? LabelA { get; init; }
    public string? LabelB { get; init; }
    /// <summary>Null when the labels are not known (a side not dissected).</summary>
    public bool? LabelChanged { get; init; }
}

/// <summary>
/// One layer of two checkpoints compared: linear CKA of the two representations (1: the same up to a rotation and a
/// scale; null when one side is constant), and every unit of the smaller side matched to one of the other (a
/// Hungarian assignment maximising the summed correlation), in unit order of A.
/// </summary>
/// <param name="Samples">Rows the statistics are over: images × positions of the layer's map.</param>
public sealed record LayerComparison(string Layer, string Kind, int UnitsA, int UnitsB, long Samples, double? Cka, double? MeanMatchedCorrelation,
    int MatchedToSameIndex, IReadOnlyList<UnitMatch> Matches)
{
    /// <summary>How much the layer moved: 1 − CKA (null when CKA is undefined).</summary>
    public double? Change => Cka is { } cka ? 1 - cka : null;

    /// <summary>The probe set (content hash) the labels come from, when both sides were dissected on it; else null.</summary>
    public string? LabelsFrom { get; init; }

    /// <summary>Matched pairs whose labels differ (when <see cref="LabelsFrom"/> is set).</summary>
    public int? LabelChanges => LabelsFrom is null ? null : Matches.Count(m => m.LabelChanged == true);
}

/// <summary>Two checkpoints compared layer by layer on the same images.</summary>
public sealed record ComparisonResult(string CheckpointA, string CheckpointB, string DatasetHash, string DatasetName, int Images,
    IReadOnlyList<LayerComparison> Layers)
{
    /// <summary>The layers, the one that changed most first (smallest CKA; undefined last).</summary>
    public IReadOnlyList<string> RankedByChange =>
        [.. Layers.OrderBy(l => l.Cka ?? double.PositiveInfinity).ThenBy(l => l.Layer, StringComparer.Ordinal).Select(l => l.Layer)];
}

/// <summary>Images run through both models so far.</summary>
public sealed record ComparisonProgress(int Done, int Total);
