using System.Text.Json;

namespace UnitScope.Protocol;

// Evolution across checkpoints (seeds 000 and 001/003): how training changed a model.

/// <summary>
/// <c>unitscope/compareCheckpoints</c>: two loaded models of one architecture compared layer by layer on the same
/// images: linear CKA, units matched by activation correlation (Hungarian assignment), labels where both sides were
/// dissected on the same probe set. Runs in the background with work-done progress and cancellation; results are cached
/// under both checkpoints' hashes.
/// </summary>
/// <param name="ModelIdA">The first model (A, e.g. the earlier checkpoint).</param>
/// <param name="ModelIdB">The second (B).</param>
/// <param name="Dataset">"probe" (the built-in probe set, the default) or a Broden-format folder (with index.csv).</param>
/// <param name="Layers">Default: every convolution and linear layer.</param>
/// <param name="MaxImages">The first N images of the dataset (default 256).</param>
/// <param name="BatchSize">Images per forward pass of each model (1–1024, default 8); changes only the speed.</param>
public sealed record CompareCheckpointsParams(
    string ModelIdA,
    string ModelIdB,
    string? Dataset = null,
    IReadOnlyList<string>? Layers = null,
    int? MaxImages = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null);

/// <summary>A unit of A and the unit of B matched to it.</summary>
/// <param name="Correlation">Pearson's correlation of their activations over every image position; null when either is constant.</param>
/// <param name="LabelA">A's label for the unit (null: none, or not dissected).</param>
/// <param name="LabelChanged">Null when the labels are not known (a side not dissected on the same probe set).</param>
public sealed record MatchedUnit(int UnitA, int UnitB, double? Correlation = null, string? LabelA = null, string? LabelB = null, bool? LabelChanged = null);

/// <summary>One layer of the two checkpoints.</summary>
/// <param name="Cka">Linear CKA over every image position (1: the same up to a rotation and scale); null when a side is constant.</param>
/// <param name="MatchedToSameIndex">Units whose match has their own index.</param>
/// <param name="LabelChanges">Matched pairs whose labels differ; null when the layer was not dissected on both sides.</param>
/// <param name="Matches">Every unit of the smaller side matched, in A's unit order.</param>
public sealed record LayerChange(
    string Layer,
    int UnitsA,
    int UnitsB,
    int MatchedToSameIndex,
    IReadOnlyList<MatchedUnit> Matches,
    double? Cka = null,
    double? MeanMatchedCorrelation = null,
    int? LabelChanges = null);

/// <summary>The comparison.</summary>
/// <param name="CheckpointA">A's checkpoint hash.</param>
/// <param name="RankedByChange">Layer names, the one that changed most (lowest CKA) first.</param>
/// <param name="ChartPng">Base64 PNG: CKA per layer with the matched units' mean correlation.</param>
public sealed record CompareCheckpointsResult(
    string CheckpointA,
    string CheckpointB,
    string Dataset,
    int Images,
    IReadOnlyList<LayerChange> Layers,
    IReadOnlyList<string> RankedByChange,
    string ChartPng,
    int ChartWidth,
    int ChartHeight,
    bool Cached = false);
