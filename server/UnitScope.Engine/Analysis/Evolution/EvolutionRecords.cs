using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>What <see cref="TrainingRun.Evolve"/> computes per checkpoint.</summary>
public sealed record EvolutionOptions
{
    /// <summary>Layers to follow (at least one).</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>Images per forward pass (speed and memory only).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Dissect the layers of every checkpoint too (on the probe set given; cached per checkpoint).</summary>
    public bool Dissect { get; init; }

    public DissectionOptions Dissection { get; init; } = new();
}

/// <summary>
/// One layer of one checkpoint over the fixed images: the mean activation, the share of units that never exceed 0 on
/// any image or position (dead), the share of all activations at or below 0 (a ReLU's flat side: saturation); the
/// weight of the layer (or of the nearest layer before it that has one) as its Frobenius norm and its change from the
/// previous checkpoint of the run, ‖W − W_prev‖ / ‖W_prev‖ (null for the first).
/// </summary>
public sealed record LayerSnapshot(string Layer, int Units, double MeanActivation, double DeadFraction, double SaturatedFraction,
    string? WeightLayer, double? WeightNorm, double? WeightChange)
{
    /// <summary>Labelled units, when dissected.</summary>
    public int? Labelled { get; init; }

    /// <summary>Labelled units per concept category, when dissected.</summary>
    public IReadOnlyDictionary<string, int>? LabelledByCategory { get; init; }

    /// <summary>Each unit's best concept and its IoU, when dissected (units matching no concept at all left out): how a
    /// unit's label moves over the run.</summary>
    public IReadOnlyList<UnitConcept>? UnitConcepts { get; init; }

    public double? LabelledFraction => Labelled is { } n && Units > 0 ? (double)n / Units : null;
}

/// <summary>A unit's best concept at one checkpoint; <see cref="Labelled"/> when its IoU passed the labelling threshold.</summary>
public sealed record UnitConcept(int Unit, string Concept, string Category, double Iou, bool Labelled);

/// <summary>One checkpoint of the run (files with identical bytes share one: every name is kept).</summary>
public sealed record CheckpointSnapshot(string CheckpointHash, IReadOnlyList<string> Paths, long? Epoch, long? Step, IReadOnlyList<LayerSnapshot> Layers)
{
    /// <summary>True when the statistics came from the cache.</summary>
    public bool Cached { get; init; }
}

/// <summary>A training run as a timeline, in training order.</summary>
public sealed record EvolutionResult(string DatasetHash, string DatasetName, int Images, IReadOnlyList<string> Layers, IReadOnlyList<CheckpointSnapshot> Checkpoints);

/// <summary>Where a run is: checkpoint <see cref="Checkpoint"/> (1-based) of <see cref="Checkpoints"/>, and the images of its pass.</summary>
public sealed record EvolutionProgress(int Checkpoint, int Checkpoints, int ImagesDone, int ImagesTotal);
