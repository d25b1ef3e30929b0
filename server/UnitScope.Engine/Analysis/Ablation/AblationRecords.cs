using System.Text.Json.Serialization;

namespace UnitScope.Engine.Analysis.Ablation;

/// <summary>
/// Which units to remove: <see cref="Units"/> of <see cref="Layer"/> are zeroed in every forward pass of
/// the evaluation (their output channels set to 0 by a forward hook; no weight is touched, nothing is
/// retrained), and a control zeroes <see cref="RandomControls"/> random sets of as many other units.
/// </summary>
public sealed record AblationRequest
{
    public required string Layer { get; init; }
    public required IReadOnlyList<int> Units { get; init; }

    /// <summary>How many random unit sets (each as large as <see cref="Units"/>, drawn from the layer's other
    /// units with <see cref="Seed"/>) to remove as a control; their accuracies are averaged. 0: no control.</summary>
    public int RandomControls { get; init; } = 3;

    public int Seed { get; init; } = 1;

    /// <summary>Samples per forward pass (images × unit sets evaluated together); speed and memory only.</summary>
    public int BatchSize { get; init; } = 64;
}

/// <summary>One class of the evaluation set before and after the ablation (accuracies in [0, 1];
/// log-probabilities: the mean over the class's images of the log of the model's probability of the true class).</summary>
public sealed record ClassAccuracy(
    int ClassIndex,
    string ClassName,
    int Images,
    double Before,
    double After,
    /// <summary>Mean over the random control sets; null without a control.</summary>
    double? RandomAfter,
    double LogProbabilityBefore,
    double LogProbabilityAfter,
    double? RandomLogProbabilityAfter)
{
    public double Change => After - Before;
}

/// <summary>
/// The effect of removing a set of units: overall and per-class accuracy before and after (classes sorted by
/// <see cref="ClassAccuracy.Change"/>, most lowered first, then by name), and the same after removing
/// random sets of as many units.
/// </summary>
public sealed record AblationResult(
    string CheckpointHash,
    string DatasetHash,
    string DatasetName,
    string Layer,
    int LayerUnits,
    IReadOnlyList<int> Units,
    IReadOnlyList<IReadOnlyList<int>> RandomUnitSets,
    int Images,
    double AccuracyBefore,
    double AccuracyAfter,
    double? RandomAccuracyAfter,
    IReadOnlyList<ClassAccuracy> Classes)
{
    /// <summary>Images of the set that could not be read (truncated, not an image, gone) and were left out; the counts
    /// above are of the others.</summary>
    public IReadOnlyList<Datasets.SkippedImage> SkippedImages { get; init; } = [];
}

/// <summary>What a ranking orders units by: the drop in the class's accuracy, or in its mean log-probability
/// (smoother on small sets: every image counts, not only those whose prediction flips). Written to JSON by name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RankingMetric>))]
public enum RankingMetric
{
    Accuracy,
    LogProbability,
}

/// <summary>"Which units matter for class <see cref="Class"/>": each unit of <see cref="Layer"/> removed alone.</summary>
public sealed record RankingRequest
{
    public required string Layer { get; init; }

    /// <summary>A class of the evaluation set: its name, or its index as a number.</summary>
    public required string Class { get; init; }

    public RankingMetric Metric { get; init; } = RankingMetric.Accuracy;

    /// <summary>The top-k vs random-k curve goes from k = 1 to this (at most the layer's units).</summary>
    public int Top { get; init; } = 20;

    /// <summary>Random draws averaged per k of the curve.</summary>
    public int RandomDraws { get; init; } = 5;

    public int Seed { get; init; } = 1;

    /// <inheritdoc cref="AblationRequest.BatchSize"/>
    public int BatchSize { get; init; } = 64;
}

/// <summary>One unit removed alone: how much the class's accuracy and mean log-probability drop (positive: the
/// class suffers), and its dissection label when a stored dissection of the layer has one.</summary>
public sealed record RankedUnit(
    int Unit,
    double AccuracyDrop,
    double LogProbabilityDrop,
    string? Label = null,
    string? LabelCategory = null,
    double? LabelIou = null);

/// <summary>The class after removing the top-k units together, and k random units (mean and standard deviation over the draws).</summary>
public sealed record RemovalCurvePoint(
    int K,
    double TopAccuracy,
    double RandomAccuracy,
    double RandomAccuracyStd,
    double TopLogProbability,
    double RandomLogProbability,
    double RandomLogProbabilityStd);

/// <summary>
/// A layer's units ranked by their importance for one class (most important first: by the metric's drop,
/// ties broken by the other metric, then by unit index), measured on the evaluation set's images of that
/// class, and the curve of removing the top-k units vs k random ones.
/// </summary>
public sealed record UnitRanking(
    string CheckpointHash,
    string DatasetHash,
    string DatasetName,
    string Layer,
    int ClassIndex,
    string ClassName,
    RankingMetric Metric,
    /// <summary>Images of the class evaluated.</summary>
    int Images,
    double BaseAccuracy,
    double BaseLogProbability,
    IReadOnlyList<RankedUnit> Units,
    IReadOnlyList<RemovalCurvePoint> Curve,
    int RandomDraws,
    /// <summary>Where the labels come from ("probe set …, IoU > 0.04"); null when no stored dissection of the layer was found.</summary>
    string? LabelSource = null)
{
    /// <summary>Images of the set that could not be read (truncated, not an image, gone) and were left out; the counts
    /// above are of the others.</summary>
    public IReadOnlyList<Datasets.SkippedImage> SkippedImages { get; init; } = [];
}

/// <summary>How one image's activity of a unit is summarised from its map. Written to JSON by name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<UnitStatistic>))]
public enum UnitStatistic
{
    /// <summary>The map's maximum (the unit's peak response anywhere in the image).</summary>
    Max,
    /// <summary>The map's mean over its positions.</summary>
    Mean,
}

/// <summary>A unit as a single-unit classifier of class <see cref="Class"/>.</summary>
public sealed record SingleUnitRequest
{
    public required string Layer { get; init; }
    public required int Unit { get; init; }
    /// <inheritdoc cref="RankingRequest.Class"/>
    public required string Class { get; init; }
    public UnitStatistic Statistic { get; init; } = UnitStatistic.Max;
    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; init; } = 64;
}

/// <summary>
/// The distribution of a unit's activation (<see cref="Statistic"/> of its map, per image) on the evaluation
/// set's images of one class vs all the others (Bau et al. 2020, figure 5F: the airplane unit), with the
/// means and the area under the ROC curve of the activation as a score for the class (0.5: no better than chance).
/// </summary>
public sealed record SingleUnitStats(
    string CheckpointHash,
    string DatasetHash,
    string DatasetName,
    string Layer,
    int Unit,
    int ClassIndex,
    string ClassName,
    UnitStatistic Statistic,
    float[] InClass,
    float[] Others,
    double MeanInClass,
    double MeanOthers,
    double Auc,
    /// <summary>Its dissection label, when a stored dissection has one.</summary>
    string? Label = null)
{
    /// <summary>Images of the set that could not be read (truncated, not an image, gone) and were left out; the counts
    /// above are of the others.</summary>
    public IReadOnlyList<Datasets.SkippedImage> SkippedImages { get; init; } = [];
}

/// <summary>
/// Where an ablation, ranking or single-unit run is: <paramref name="Done"/> of <paramref name="Total"/> evaluated
/// samples (one image under one unit set) in <paramref name="Phase"/>: Ablation (the intact model, the chosen
/// units and the random controls, evaluated together), Units (each unit removed alone), Curve (top-k and
/// random-k), Activations (single unit: images).
/// </summary>
public sealed record AblationProgress(AnalysisPhase Phase, long Done, long Total)
{
    /// <summary>In Units: the units whose drops became known since the previous report (unordered), when
    /// the evaluation goes unit set by unit set (the class's images fit in memory); otherwise null.</summary>
    public IReadOnlyList<RankedUnit>? MeasuredUnits { get; init; }
}
