using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnitScope.Protocol;

// Activation maximisation (seed 004: Erhan et al.'s method with Graetz's multi-scale recipe) and its hypothesis test.

/// <summary>What the image is optimised to excite: the mean of the unit's whole map, or the unit at the map's centre only.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MaximizationObjective>))]
public enum MaximizationObjective
{
    [JsonStringEnumMemberName("channel")] Channel,
    [JsonStringEnumMemberName("neuron")] Neuron,
}

/// <summary>
/// <c>unitscope/visualize</c>: an image optimised from seeded noise to excite a unit (Adam on the normalised image,
/// starting small and upscaled with a blur between rounds; the last round at the model's input size), then the
/// hypothesis test on it. Runs in the background with work-done progress (per step) and cancellation; each round's
/// image comes as a partial result (<see cref="VisualizePreview"/>) on the <c>partialResultToken</c>. Results are cached
/// per (checkpoint, layer, unit, parameters): the same seed gives the same image, byte for byte.
/// </summary>
/// <param name="Layer">Any layer with units ([C, H, W] or [F]); the neuron objective needs [C, H, W].</param>
/// <param name="Objective">Default: channel.</param>
/// <param name="Seed">Seeds the starting noise and the jitter; default 0.</param>
/// <param name="Rounds">Rounds of optimisation, 1–50; default 12.</param>
/// <param name="Steps">Adam steps per round, 1–1000; default 20.</param>
/// <param name="Upscale">Growth of the image's side between rounds, 1–4; default 1.2.</param>
/// <param name="LearningRate">Adam's step size on the normalised image; default 0.1.</param>
/// <param name="Blur">Sigma in pixels of the Gaussian blur after each upscaling, 0–10; default 0.5.</param>
/// <param name="Jitter">Random shift of up to this many pixels per step, 0 to a quarter of the input's side; default 2.</param>
/// <param name="CachedOnly">Answer only from the cache: null when this optimisation was never run (nothing is computed).</param>
public sealed record VisualizeParams(
    string ModelId,
    string Layer,
    int Unit,
    MaximizationObjective? Objective = null,
    int? Seed = null,
    int? Rounds = null,
    int? Steps = null,
    double? Upscale = null,
    double? LearningRate = null,
    double? Blur = null,
    int? Jitter = null,
    bool? CachedOnly = null,
    JsonElement? WorkDoneToken = null,
    JsonElement? PartialResultToken = null);

/// <summary>A partial result of <c>unitscope/visualize</c>: the image at the end of a round, at the model's input size.</summary>
/// <param name="ImagePng">Base64 PNG.</param>
public sealed record VisualizePreview(int Round, int Rounds, float Activation, string ImagePng);

/// <summary>The layer's mean activation per unit on one image, and where the chosen unit ranks.</summary>
/// <param name="MeanActivations">Per unit: the mean of its map (for a layer without maps, its value).</param>
/// <param name="Rank">1 when no unit of the layer responds more; else 1 + the number that do.</param>
/// <param name="StrongestUnit">The unit that responds most.</param>
/// <param name="ChartPng">Base64 PNG: a bar per unit, the chosen one in red, its rank in the title.</param>
public sealed record HypothesisTestResult(
    string Layer,
    int Unit,
    IReadOnlyList<float> MeanActivations,
    int Rank,
    int StrongestUnit,
    string ChartPng,
    int ChartWidth,
    int ChartHeight);

/// <summary>The optimised image with how it was made and the hypothesis test on it.</summary>
/// <param name="ImagePng">Base64 PNG at the model's input size (RGB, or gray for a one-channel model).</param>
/// <param name="RoundActivations">The objective at the end of each round.</param>
/// <param name="FinalActivation">The objective on the image as returned (its bytes, no jitter).</param>
/// <param name="Hypothesis">The hypothesis test on the optimised image.</param>
/// <param name="Cached">Read from the cache rather than computed.</param>
public sealed record VisualizeResult(
    string Layer,
    int Unit,
    MaximizationObjective Objective,
    int Seed,
    int Rounds,
    int Steps,
    int Width,
    int Height,
    string ImagePng,
    IReadOnlyList<float> RoundActivations,
    float FinalActivation,
    HypothesisTestResult Hypothesis,
    bool Cached = false);

/// <summary>
/// <c>unitscope/hypothesisTest</c>: seed 004's test of a guess about a unit: the layer's mean activation per unit on a
/// real image (sized as the model's description says), the unit's rank among them, and the bar chart. Give exactly one
/// of <c>imagePath</c> and <c>imageBase64</c>. One forward pass, queued on the model's device.
/// </summary>
public sealed record HypothesisTestParams(
    string ModelId,
    string Layer,
    int Unit,
    string? ImagePath = null,
    string? ImageBase64 = null);
