namespace UnitScope.Engine.Analysis.Invariance;

/// <summary>The transformations Zeiler &amp; Fergus sweep in figure 5 (see <see cref="ImageTransforms"/> for their exact definitions).</summary>
public enum TransformKind
{
    /// <summary>A shift by a whole number of pixels (down or right when positive).</summary>
    Translation,
    /// <summary>A rotation about the image's centre, in degrees, counter-clockwise as seen when positive.</summary>
    Rotation,
    /// <summary>A zoom about the image's centre by a factor (above 1 enlarges the content, below 1 shrinks it).</summary>
    Scale,
}

/// <summary>Which way a translation moves the image: Zeiler &amp; Fergus's figure 5 translates vertically.</summary>
public enum TranslationAxis
{
    Vertical,
    Horizontal,
}

/// <summary>
/// Invariance's parameters. Values are in the model input's pixels (translation), degrees (rotation) and factors
/// (scale); a sweep left null takes its default (<see cref="InvarianceSweeps"/>), an empty one is skipped.
/// Everything but <see cref="BatchSize"/> is part of the cache key.
/// </summary>
public sealed record InvarianceOptions
{
    /// <summary>The layers whose feature vectors are compared; null: <see cref="InvarianceSweeps.DefaultLayers"/>.</summary>
    public IReadOnlyList<string>? Layers { get; init; }

    public IReadOnlyList<int>? Translations { get; init; }

    public TranslationAxis Axis { get; init; } = TranslationAxis.Vertical;

    public IReadOnlyList<double>? Rotations { get; init; }

    public IReadOnlyList<double>? Scales { get; init; }

    /// <summary>The class whose probability is followed; null: each image's predicted class, untransformed.</summary>
    public int? TrueClass { get; init; }

    /// <summary>Transformed copies per forward pass (speed and memory only; not part of the result).</summary>
    public int BatchSize { get; init; } = 32;
}

/// <summary>Where an invariance run is: transformed images evaluated so far of the total.</summary>
public sealed record InvarianceProgress(int Done, int Total);

/// <summary>
/// One transformation swept over its values, for every image: per layer the Euclidean distance between the feature
/// vector of the transformed image and of the original (and that distance over the original's norm), and the
/// probability of the image's true class. Arrays are indexed [image][layer][value] and [image][value].
/// </summary>
public sealed record InvarianceSweep(
    TransformKind Kind,
    IReadOnlyList<double> Values,
    float[][][] Distances,
    float[][][] RelativeDistances,
    float[][] Probabilities);

/// <summary>Zeiler &amp; Fergus's figure 5 for a set of images (the images as the model sees them, hashed for the cache).</summary>
public sealed record InvarianceResult(
    string CheckpointHash,
    IReadOnlyList<string> ImageHashes,
    InvarianceOptions Options,
    IReadOnlyList<string> Layers,
    /// <summary>Each feature vector's length (units × positions) per layer.</summary>
    IReadOnlyList<int> FeatureSizes,
    IReadOnlyList<string> ClassNames,
    /// <summary>Per image: the class whose probability is followed, and its probability untransformed.</summary>
    IReadOnlyList<int> TrueClasses,
    IReadOnlyList<float> BaseProbabilities,
    IReadOnlyList<InvarianceSweep> Sweeps);
