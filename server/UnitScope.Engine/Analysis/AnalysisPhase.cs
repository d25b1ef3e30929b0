namespace UnitScope.Engine.Analysis;

/// <summary>
/// The phases every long-running analysis reports progress in: one list, so the daemon's and the
/// CLI's progress lines switch on names the compiler checks instead of strings matched across projects.
/// </summary>
public enum AnalysisPhase
{
    /// <summary>Building the built-in probe set (images).</summary>
    Dataset,
    /// <summary>A dissected layer read from the result store instead of computed.</summary>
    Cached,
    /// <summary>Dissection pass 1: the forward passes, each unit's threshold (images).</summary>
    Thresholds,
    /// <summary>Dissection, per layer: each unit's threshold narrowed to the exact quantile over the spilled activations (images, per round).</summary>
    Quantiles,
    /// <summary>Dissection pass 2 of one layer: IoU of every unit with every concept (images).</summary>
    Iou,
    /// <summary>Occlusion: square positions.</summary>
    Occlusion,
    /// <summary>Ablation: the intact model, the chosen units and the random controls (evaluations).</summary>
    Ablation,
    /// <summary>Ranking: each unit zeroed alone (evaluations).</summary>
    Units,
    /// <summary>Ranking: top-k against random-k removal (evaluations).</summary>
    Curve,
    /// <summary>Single-unit statistics: the unit's activation on every image (images).</summary>
    Activations,
    /// <summary>Top activations: every unit's strongest activations over an image set (images).</summary>
    TopActivations,
    /// <summary>Projections of a unit's strongest activations back to the pixels (activations).</summary>
    Projections,
    /// <summary>Activation maximisation: optimisation steps (each a forward and backward pass).</summary>
    Maximization,
    /// <summary>Invariance: transformed images evaluated.</summary>
    Invariance,
    /// <summary>Correspondence: occluded images evaluated (the originals first).</summary>
    Correspondence,
    /// <summary>Explanatory graph: every filter's activation peaks over the images (images).</summary>
    Peaks,
    /// <summary>Explanatory graph: the layers mined top-down (EM iterations of all layers).</summary>
    Mining,
    /// <summary>Adversarial attack: gradient steps (each a forward and backward pass of a batch of images).</summary>
    Attack,
    /// <summary>Adversarial unit analysis: clean and attacked images through the layer (images).</summary>
    UnitChanges,
    /// <summary>Comparing two checkpoints: images run through both models.</summary>
    Comparison,
    /// <summary>GAN edits: samples generated intact and with units ablated or inserted, and segmented (samples).</summary>
    GanEdit,
}
