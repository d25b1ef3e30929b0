using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Analysis.Maximization;

/// <summary>What is maximised: a unit's whole feature map or one neuron of it.</summary>
public enum MaximizationObjective
{
    /// <summary>The mean of the unit's feature map over every position (Graetz's "mean activation of a feature map");
    /// for a layer without spatial maps ([F], a Linear layer or the logits), the unit's one value.</summary>
    Channel,
    /// <summary>The unit at the centre position of its map only (one neuron, seeing one receptive field): needs a layer
    /// with spatial maps.</summary>
    Neuron,
}

/// <summary>
/// Activation maximisation's parameters: the multi-scale recipe of seed 004 (Graetz, after Erhan et al.): optimise a
/// small image for <see cref="StepsPerRound"/> steps, upscale it by <see cref="UpscaleFactor"/>, blur it, and go on,
/// <see cref="Rounds"/> rounds in all; the last round is at the model's input size. Everything is part of the cache key.
/// </summary>
public sealed record MaximizationOptions
{
    public MaximizationObjective Objective { get; init; } = MaximizationObjective.Channel;

    /// <summary>Seeds the starting noise and the jitter: the same seed gives the same image, byte for byte.</summary>
    public int Seed { get; init; }

    /// <summary>Rounds of optimisation (seed 004: 12); the side grows by <see cref="UpscaleFactor"/> between rounds.</summary>
    public int Rounds { get; init; } = 12;

    /// <summary>Optimisation steps per round (seed 004: 20).</summary>
    public int StepsPerRound { get; init; } = 20;

    /// <summary>Growth of the image's side between rounds (seed 004: 1.2).</summary>
    public double UpscaleFactor { get; init; } = 1.2;

    /// <summary>Adam's step size on the normalised image (seed 004: 0.1).</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Adam's weight decay (seed 004: 1e-6): a faint pull of the normalised pixels towards the mean colour.</summary>
    public double WeightDecay { get; init; } = 1e-6;

    /// <summary>Standard deviation of the Gaussian blur after each upscaling, in pixels of the upscaled image (0: none).</summary>
    public double BlurSigma { get; init; } = 0.5;

    /// <summary>Each step shifts the image by up to this many pixels of the model input (wrapping around), a fresh
    /// random shift per step, so no pattern can rely on exact pixel positions (0: none).</summary>
    public int Jitter { get; init; } = 2;
}

/// <summary>Where a maximisation is: round and step (steps count across rounds), the objective's current value and,
/// at the end of each round, the image so far at the model's input size (null between rounds).</summary>
public sealed record MaximizationProgress(int Round, int Rounds, int StepsDone, int StepsTotal, float Activation, RgbImage? Preview);

/// <summary>
/// The image that maximises a unit's activation, as 8-bit pixels at the model's input size (what the model takes: RGB,
/// or gray for a one-channel model), with the objective's value per round and on the final 8-bit image.
/// </summary>
public sealed record MaximizationResult(
    string CheckpointHash,
    string Layer,
    int Unit,
    MaximizationOptions Options,
    /// <summary>The side (height × width) of the image optimised in each round; the last is the model's input size.</summary>
    IReadOnlyList<int[]> RoundSizes,
    /// <summary>The objective at the end of each round (on the jittered image of its last step).</summary>
    IReadOnlyList<float> RoundActivations,
    /// <summary>The objective on <see cref="Image"/> as the model sees it (its bytes, normalised, no jitter).</summary>
    float FinalActivation,
    RgbImage Image);
