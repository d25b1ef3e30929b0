using System.Text.Json;

namespace UnitScope.Protocol;

// A training run as a timeline (issue 15; seeds 000 and 001/003): what each checkpoint's layers look like.

/// <summary>
/// <c>unitscope/evolve</c>: the checkpoints of a training run, in training order (their <c>epoch</c>/<c>step</c>
/// entries, else their names), each summarised for the chosen layers on a small fixed image set: mean activation, dead
/// and saturated units, the weight's norm and its change from the previous checkpoint, and with <c>dissect</c> the
/// labelled units per concept category. Every checkpoint is read as the reference model was (its architecture when it is
/// a zoo one, its input size, mean and std, its device). Work-done progress per checkpoint, cancellation, and with
/// <c>partialResultToken</c> each checkpoint's summary as it is done: each partial value is an
/// <see cref="EvolveResult"/> holding that one checkpoint, and the response then holds none (<c>checkpoints: []</c>).
/// Each summary is cached by the checkpoint's hash and the previous one's (the CLI's <c>evolve</c> shares the cache).
/// </summary>
/// <param name="ModelId">A loaded model of the run's architecture (usually one of its checkpoints): the reference.</param>
/// <param name="Run">The run's checkpoints: a folder, or a folder and a name pattern with <c>*</c> and <c>?</c> (<c>runs/exp1/*.pth</c>).</param>
/// <param name="Layers">The layers to follow (at least one).</param>
/// <param name="Dissect">Also dissect the layers of every checkpoint on the dataset (cached per checkpoint); default false.</param>
/// <param name="Dataset">"probe" (the built-in probe set, the default) or a Broden-format folder (with index.csv).</param>
/// <param name="MaxImages">The first N images of the dataset for the statistics and the dissection (default 64).</param>
/// <param name="BatchSize">Images per forward pass (1–1024, default 16); changes only the speed.</param>
public sealed record EvolveParams(
    string ModelId,
    string Run,
    IReadOnlyList<string> Layers,
    bool? Dissect = null,
    string? Dataset = null,
    int? MaxImages = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null,
    JsonElement? PartialResultToken = null);

/// <summary>One layer of one checkpoint.</summary>
/// <param name="DeadFraction">Share of units never above 0 on any image or position.</param>
/// <param name="SaturatedFraction">Share of all activations at or below 0.</param>
/// <param name="WeightLayer">The layer whose weight is measured: the layer itself, or the nearest convolution/linear layer before it; null when none.</param>
/// <param name="WeightChange">‖W − W_prev‖ / ‖W_prev‖; null for the first checkpoint (or when the shapes differ).</param>
/// <param name="Labelled">Labelled units, when dissected.</param>
/// <param name="LabelledByCategory">Labelled units per category, when dissected.</param>
/// <param name="UnitConcepts">Each unit's best concept and IoU, when dissected (units matching no concept left out), in unit order.</param>
public sealed record LayerSummary(
    string Layer,
    int Units,
    double MeanActivation,
    double DeadFraction,
    double SaturatedFraction,
    string? WeightLayer = null,
    double? WeightNorm = null,
    double? WeightChange = null,
    int? Labelled = null,
    IReadOnlyList<CategoryCount>? LabelledByCategory = null,
    IReadOnlyList<UnitConcept>? UnitConcepts = null);

/// <summary>A unit's best concept at one checkpoint (intersection over union over the probe set).</summary>
/// <param name="Labelled">The IoU passed the labelling threshold: this is the unit's label.</param>
public sealed record UnitConcept(int Unit, string Concept, string Category, double Iou, bool Labelled);

/// <summary>One layer over the run, drawn by the daemon: labelled units per category (stacked bars, when dissected), dead
/// units and weight change per checkpoint.</summary>
/// <param name="Png">Base64 PNG.</param>
public sealed record RunChart(string Layer, string Png, int Width, int Height);

/// <summary>One checkpoint of the run (files with identical bytes are summarised once and all named).</summary>
/// <param name="Index">Its place in training order (0-based, over distinct checkpoints).</param>
/// <param name="Paths">Every file with these bytes.</param>
/// <param name="Cached">The statistics came from the cache.</param>
public sealed record CheckpointSummary(
    int Index,
    string CheckpointHash,
    IReadOnlyList<string> Paths,
    IReadOnlyList<LayerSummary> Layers,
    long? Epoch = null,
    long? Step = null,
    bool Cached = false);

/// <summary>The run as a timeline.</summary>
/// <param name="Run">The run as the request named it, made absolute.</param>
/// <param name="CheckpointCount">Distinct checkpoints of the run (also when partial results carried them); 0 in a partial result.</param>
/// <param name="Checkpoints">In training order; empty in the response when partial results carried them.</param>
/// <param name="Charts">One per layer over the whole run; in the response only (partial results have none).</param>
public sealed record EvolveResult(
    string Run,
    string Dataset,
    int Images,
    IReadOnlyList<string> Layers,
    int CheckpointCount,
    IReadOnlyList<CheckpointSummary> Checkpoints,
    IReadOnlyList<RunChart>? Charts = null);
