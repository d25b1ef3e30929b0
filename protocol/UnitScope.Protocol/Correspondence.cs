using System.Text.Json;

namespace UnitScope.Protocol;

// Correspondence (Zeiler & Fergus, section 5 and table 1): the same part hidden in several images; how consistently
// the features change, against random boxes.

/// <summary>
/// <c>unitscope/correspondence</c>. <c>boxesPath</c> is a JSON file:
/// <c>{"images": [{"path": "dog1.jpg", "boxes": {"left eye": [x, y, width, height], …}}, …]}</c>, paths relative to the
/// file's folder, boxes in each image file's pixels (they are painted before the image is sized for the model). Every
/// part needs a box in at least two images; a box outside its image is an InvalidArgument error naming the image and
/// the part. Runs in the background with work-done progress and cancellation; results are cached.
/// </summary>
/// <param name="Layers">Default: the last layer with spatial maps and the classifier's hidden layer when there is one (the paper's layers 5 and 7).</param>
/// <param name="RandomDraws">Sets of random boxes for the control, 0–1000; default 10.</param>
/// <param name="Seed">Seeds the random boxes; default 0.</param>
/// <param name="Fill">The boxes' colour, per channel in [0, 1] (one value or three), applied in 8-bit steps; default: the normalisation mean.</param>
public sealed record CorrespondenceParams(
    string ModelId,
    string BoxesPath,
    IReadOnlyList<string>? Layers = null,
    int? RandomDraws = null,
    int? Seed = null,
    IReadOnlyList<float>? Fill = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null);

/// <summary>
/// Δ at one layer for one part: Σ_{i≠j} H(sign ε_i, sign ε_j) with ε_i = x_i − x̃_i (features of image i minus those of
/// its occluded copy) and H the Hamming distance; lower is more consistent.
/// </summary>
/// <param name="Delta">The mean over image pairs of H divided by the feature vector's length (the share of features whose change differs in sign).</param>
/// <param name="DeltaStd">Its standard deviation over the pairs.</param>
/// <param name="DeltaSum">The paper's sum over ordered pairs, in features.</param>
/// <param name="RandomDelta">Delta for random boxes of the same sizes: the mean over the draws (0 without draws).</param>
/// <param name="RandomStd">Its standard deviation over the draws.</param>
public sealed record CorrespondenceLayer(string Layer, double Delta, double DeltaStd, double DeltaSum, double RandomDelta, double RandomStd);

/// <summary>One part across the images with a box for it.</summary>
public sealed record CorrespondencePart(string Part, IReadOnlyList<string> Images, IReadOnlyList<CorrespondenceLayer> Layers);

/// <summary>Table 1 for the set.</summary>
/// <param name="ChartPng">Base64 PNG: per part and layer, Δ of the part beside Δ of random boxes (± one standard deviation).</param>
public sealed record CorrespondenceResult(
    IReadOnlyList<string> Layers,
    IReadOnlyList<int> FeatureSizes,
    int RandomDraws,
    IReadOnlyList<CorrespondencePart> Parts,
    string ChartPng,
    int ChartWidth,
    int ChartHeight,
    bool Cached = false);
