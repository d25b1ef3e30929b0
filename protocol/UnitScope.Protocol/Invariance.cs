using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnitScope.Protocol;

// Invariance (Zeiler & Fergus, figure 5): images translated, rotated and scaled over sweeps of values, and how far
// each layer's feature vector moves from the original's, with the probability of the true class.

/// <summary>Which way translations move the image (the paper's figure translates vertically).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TranslationAxis>))]
public enum TranslationAxis
{
    [JsonStringEnumMemberName("vertical")] Vertical,
    [JsonStringEnumMemberName("horizontal")] Horizontal,
}

/// <summary>A transformation swept by <c>unitscope/invariance</c>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TransformKind>))]
public enum TransformKind
{
    /// <summary>Whole pixels of the model input, down (or right) when positive; no resampling.</summary>
    [JsonStringEnumMemberName("translation")] Translation,
    /// <summary>Degrees about the image's centre, counter-clockwise as seen when positive; bilinear.</summary>
    [JsonStringEnumMemberName("rotation")] Rotation,
    /// <summary>A factor about the image's centre (above 1 enlarges the content); bilinear.</summary>
    [JsonStringEnumMemberName("scale")] Scale,
}

/// <summary>
/// <c>unitscope/invariance</c>. Give image paths or base64 images (or both); each is sized as the model's description
/// says, then transformed at the model's input size, what the transformation uncovers filled with the normalisation
/// mean. A sweep left out takes its default (translation ±¼ of the side in 13 steps, rotation 0–360° by 15°, scale
/// 0.6–1.8 by 0.1); an empty one is skipped. A value that leaves nothing of the image (a shift of the whole side, a
/// scale below one pixel) is an InvalidArgument error naming the sweep. Runs in the background with work-done progress
/// and cancellation; results are cached.
/// </summary>
/// <param name="Layers">Layers whose feature vectors are compared; default: a lower one (the first convolution's activation), the last with spatial maps and the classifier's hidden layer when there is one.</param>
/// <param name="TrueClass">The class whose probability is followed; default: each image's predicted class.</param>
public sealed record InvarianceParams(
    string ModelId,
    IReadOnlyList<string>? ImagePaths = null,
    IReadOnlyList<string>? ImagesBase64 = null,
    IReadOnlyList<string>? Layers = null,
    IReadOnlyList<int>? Translations = null,
    TranslationAxis? Axis = null,
    IReadOnlyList<double>? Rotations = null,
    IReadOnlyList<double>? Scales = null,
    int? TrueClass = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null);

/// <summary>One transformation over its values. Arrays are indexed [image][layer][value] and [image][value].</summary>
/// <param name="Distances">‖f(T x) − f(x)‖₂: the Euclidean distance between the transformed image's feature vector and the original's.</param>
/// <param name="RelativeDistances">The distance over ‖f(x)‖₂ (0 when the original's features are all zero).</param>
/// <param name="Probabilities">The probability of the image's true class.</param>
public sealed record InvarianceSweepResult(
    TransformKind Transform,
    IReadOnlyList<double> Values,
    IReadOnlyList<IReadOnlyList<IReadOnlyList<float>>> Distances,
    IReadOnlyList<IReadOnlyList<IReadOnlyList<float>>> RelativeDistances,
    IReadOnlyList<IReadOnlyList<float>> Probabilities);

/// <summary>Figure 5 for a set of images.</summary>
/// <param name="Images">The images' names (file names, or "image N" for base64 ones), in the order of the arrays.</param>
/// <param name="FeatureSizes">Each layer's feature vector length (units × positions).</param>
/// <param name="TrueClasses">Per image: the class followed, its label and its probability untransformed.</param>
/// <param name="ChartPng">Base64 PNG: a row per transformation, a column per layer (relative distance) and one for the probability; a line per image.</param>
public sealed record InvarianceResult(
    IReadOnlyList<string> Layers,
    IReadOnlyList<int> FeatureSizes,
    IReadOnlyList<string> Images,
    IReadOnlyList<int> TrueClasses,
    IReadOnlyList<string> TrueLabels,
    IReadOnlyList<float> BaseProbabilities,
    IReadOnlyList<InvarianceSweepResult> Sweeps,
    string ChartPng,
    int ChartWidth,
    int ChartHeight,
    bool Cached = false);
