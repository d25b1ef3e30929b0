using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnitScope.Protocol;

// Unit ablation (Bau et al., seed 000): zero chosen units of a layer with a forward hook, without
// touching any weight, and measure the per-class accuracy over an evaluation set; rank units by what
// removing each one alone does to a class; look at a single unit as a classifier. The model is the
// same afterwards: hooks are removed when a pass ends, and nothing is written to its parameters.

// An evaluation set is "probe" (the built-in generated probe set, its scene labels as classes) or
// the path of an ImageFolder (one sub-folder per class named like the model's classes, holding
// .png/.jpg images). Every request that takes one defaults to "probe".

/// <summary>Accuracy on one class of the evaluation set, before and after an ablation.</summary>
/// <param name="Class">The model's class index.</param>
/// <param name="Images">Images of this class in the evaluation set.</param>
/// <param name="Before">Accuracy (top-1, 0–1) of the intact model.</param>
/// <param name="After">Accuracy with the units zeroed.</param>
/// <param name="Label">The class's name in the evaluation set.</param>
/// <param name="ControlAfter">Accuracy with a random control set zeroed (mean over the sets), when a control was run.</param>
public sealed record ClassAccuracy(
    int Class,
    string Label,
    int Images,
    double Before,
    double After,
    double? ControlAfter = null);

/// <summary>
/// The random control: sets of as many units of the same layer as were ablated, drawn at random from the
/// layer's other units (when it has enough), each zeroed in turn; accuracies are the mean over the sets.
/// </summary>
/// <param name="UnitSets">The units of each random set, ascending.</param>
/// <param name="Seed">Seed of the draws (the same seed draws the same sets).</param>
/// <param name="OverallAfter">Overall accuracy with a random set zeroed, mean over the sets.</param>
public sealed record AblationControl(IReadOnlyList<IReadOnlyList<int>> UnitSets, int Seed, double OverallAfter);

/// <summary>
/// Images of the evaluation set that could not be read (a truncated file, not an image, removed during
/// the run) and were left out: the counts and accuracies of a result are of the others.
/// </summary>
/// <param name="Count">How many were left out.</param>
/// <param name="Problems">Why, one message per image naming its file, for at most the first 20.</param>
public sealed record SkippedImages(int Count, IReadOnlyList<string> Problems);

/// <summary>
/// <c>unitscope/ablate</c>: per-class accuracy over an evaluation set before and after zeroing
/// <c>units</c> of <c>layer</c> (and, with <c>randomControl</c>, as many random units). Runs in the
/// background with work-done progress and cancellation; the model is unchanged afterwards.
/// </summary>
/// <param name="Layer">A layer with a spatial output [C,H,W] or features [F].</param>
/// <param name="Units">Units to zero, each in [0, units); duplicates are ignored.</param>
/// <param name="EvaluationSet">"probe" (default) or the path of an ImageFolder.</param>
/// <param name="RandomControl">Also ablate random sets of as many units, as a control (default true: 3 sets).</param>
/// <param name="Seed">Seed for the random control (default 1).</param>
/// <param name="MaxImages">Use at most N images, evenly spaced over the set so each class keeps its share (default: all).</param>
/// <param name="BatchSize">Images per forward pass (1–1024, default 32).</param>
/// <param name="WorkDoneToken">LSP progress token (integer or string) for work-done progress.</param>
public sealed record AblateParams(
    string ModelId,
    string Layer,
    IReadOnlyList<int> Units,
    string? EvaluationSet = null,
    bool? RandomControl = null,
    int? Seed = null,
    int? MaxImages = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null);

/// <param name="EvaluationSet">"probe" or the folder, as the daemon resolved it.</param>
/// <param name="Units">The units zeroed, ascending.</param>
/// <param name="Classes">Every class of the evaluation set, sorted by change (after − before), largest drop first.</param>
/// <param name="ChartPng">Base64 PNG: a bar chart of the accuracy per class before and after (and the control).</param>
/// <param name="Skipped">Images that could not be read and were left out; absent when none.</param>
public sealed record AblateResult(
    string Layer,
    IReadOnlyList<int> Units,
    string EvaluationSet,
    int ImageCount,
    double OverallBefore,
    double OverallAfter,
    IReadOnlyList<ClassAccuracy> Classes,
    string ChartPng,
    int ChartWidth,
    int ChartHeight,
    AblationControl? Control = null,
    PreprocessingInfo? Preprocessing = null,
    SkippedImages? Skipped = null);

/// <summary>What ranks a unit: the drop in the class's accuracy, or in its mean log-probability, when the unit alone is zeroed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RankMetric>))]
public enum RankMetric
{
    [JsonStringEnumMemberName("accuracy")] Accuracy,
    [JsonStringEnumMemberName("logProbability")] LogProbability,
}

/// <summary>
/// <c>unitscope/rankUnits</c>: every unit of <c>layer</c> zeroed alone, ranked by the drop of
/// <c>class</c>'s metric over the evaluation set; then the curve of zeroing the top k units vs k
/// random ones. Work-done progress, cancellation, and with <c>partialResultToken</c> the units as
/// they are measured: each partial value is a <see cref="RankUnitsResult"/> holding the units
/// measured since the last one (in measurement order; the client ranks them), and the response
/// then holds no units (<c>units: []</c>), only the rest, as LSP prescribes.
/// </summary>
/// <param name="Class">The model's class index (it must be one of the evaluation set's classes).</param>
/// <param name="Metric">Default accuracy.</param>
/// <param name="Top">Largest k of the top-k vs random-k curve (default 20, at most the layer's units).</param>
/// <param name="RandomDraws">Random draws averaged per k of the curve (1–100, default 5).</param>
/// <param name="EvaluationSet">"probe" (default) or the path of an ImageFolder.</param>
/// <param name="MaxImages">Use at most N images, evenly spaced over the set (default: all).</param>
/// <param name="BatchSize">Images per forward pass (1–1024, default 32).</param>
public sealed record RankUnitsParams(
    string ModelId,
    string Layer,
    int Class,
    RankMetric? Metric = null,
    int? Top = null,
    int? RandomDraws = null,
    string? EvaluationSet = null,
    int? MaxImages = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null,
    JsonElement? PartialResultToken = null);

/// <summary>One unit zeroed alone, measured on the evaluation set's images of the class.</summary>
/// <param name="Drop">The ranking metric before − after: positive when the unit helps the class.</param>
/// <param name="AccuracyDrop">The class's accuracy before − after.</param>
/// <param name="LogProbabilityDrop">The class's mean log-probability before − after.</param>
/// <param name="After">The ranking metric with the unit zeroed; absent in partial results (the metric before is known only at the end).</param>
/// <param name="Label">The unit's dissected label (default dissection on the probe set), when it is cached and the unit is labelled.</param>
public sealed record RankedUnit(
    int Unit,
    double Drop,
    double AccuracyDrop,
    double LogProbabilityDrop,
    double? After = null,
    ConceptScore? Label = null);

/// <summary>The class's metric with the top k units zeroed together, and with k random units (mean and standard deviation over the draws).</summary>
public sealed record CurvePoint(int K, double TopK, double RandomK, double RandomStd);

/// <param name="ClassLabel">The class's name.</param>
/// <param name="Before">The class's metric with every unit in place (0 in partial results, which carry only units).</param>
/// <param name="Units">Ranked by drop, largest first (ties by unit); empty in the response when partial results carried them.</param>
/// <param name="ImageCount">Images of the class evaluated.</param>
/// <param name="Curve">Top-k vs random-k for k = 1 … <c>top</c>; absent in partial results.</param>
/// <param name="CurvePng">Base64 PNG of the curve; absent in partial results.</param>
/// <param name="Skipped">Images of the class that could not be read and were left out; absent when none (and in partial results).</param>
public sealed record RankUnitsResult(
    string Layer,
    int Class,
    string ClassLabel,
    RankMetric Metric,
    string EvaluationSet,
    int ImageCount,
    double Before,
    IReadOnlyList<RankedUnit> Units,
    IReadOnlyList<CurvePoint>? Curve = null,
    string? CurvePng = null,
    PreprocessingInfo? Preprocessing = null,
    SkippedImages? Skipped = null);

/// <summary>
/// <c>unitscope/unitClassStats</c>: a unit as a single-unit classifier for a class — its activation
/// (the maximum of its map over positions) on each image of that class vs every other image of the
/// evaluation set, with a jitter plot. Work-done progress and cancellation.
/// </summary>
/// <param name="Class">The model's class index.</param>
public sealed record UnitClassStatsParams(
    string ModelId,
    string Layer,
    int Unit,
    int Class,
    string? EvaluationSet = null,
    int? MaxImages = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null);

/// <summary>Summary of a set of activations.</summary>
public sealed record Distribution(
    int Count,
    double Mean,
    double Std,
    double Min,
    double Q1,
    double Median,
    double Q3,
    double Max);

/// <param name="InClass">Activations on the class's images.</param>
/// <param name="Rest">Activations on every other image.</param>
/// <param name="Auc">Area under the ROC curve of the activation as a score for the class (0.5: no better than chance).</param>
/// <param name="JitterPng">Base64 PNG: one dot per image, class vs rest, means marked.</param>
/// <param name="Label">The unit's dissected label, when cached.</param>
/// <param name="Skipped">Images that could not be read and were left out; absent when none.</param>
public sealed record UnitClassStatsResult(
    string Layer,
    int Unit,
    int Class,
    string ClassLabel,
    string EvaluationSet,
    Distribution InClass,
    Distribution Rest,
    double Auc,
    string JitterPng,
    int JitterWidth,
    int JitterHeight,
    ConceptScore? Label = null,
    PreprocessingInfo? Preprocessing = null,
    SkippedImages? Skipped = null);
