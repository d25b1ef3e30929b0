using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Analysis.Correspondence;

/// <summary>A rectangle of an image in its own pixels: left, top, width, height (x to the right, y down).</summary>
public sealed record Box(int X, int Y, int Width, int Height)
{
    public override string ToString() => $"[{X}, {Y}, {Width}, {Height}]";
}

/// <summary>One image of a correspondence set: its name (for messages and results), its pixels, and the box of each part it shows.</summary>
public sealed record PartImage(string Name, RgbImage Image, IReadOnlyDictionary<string, Box> Parts);

/// <summary>Correspondence's parameters; everything but <see cref="BatchSize"/> is part of the cache key.</summary>
public sealed record CorrespondenceOptions
{
    /// <summary>The layers whose feature differences are compared; null: <see cref="Invariance.InvarianceSweeps.DefaultLayers"/>'s upper ones.</summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>Sets of random boxes (one per image, each the size of the part's box there) the control averages over.</summary>
    public int RandomDraws { get; init; } = 10;

    /// <summary>Seeds the random boxes.</summary>
    public int Seed { get; init; }

    /// <summary>The boxes' colour, 0–255 per channel: R, G, B or one value; null: the normalisation mean (as occlusion's).</summary>
    public IReadOnlyList<int>? FillRgb { get; init; }

    /// <summary>Images per forward pass (speed and memory only).</summary>
    public int BatchSize { get; init; } = 32;
}

/// <summary>Where a correspondence run is: occluded images evaluated so far of the total.</summary>
public sealed record CorrespondenceProgress(int Done, int Total);

/// <summary>
/// The consistency of one set of occlusions at one layer: Zeiler &amp; Fergus's Δ_l = Σ_{i≠j} H(sign ε_i, sign ε_j),
/// where ε_i = x_i − x̃_i is image i's feature vector minus that of its occluded copy and H the Hamming distance; lower
/// is more consistent. <see cref="Sum"/> is that sum over ordered pairs, as the paper writes it; <see cref="Mean"/> the
/// mean over the pairs of the Hamming distance divided by the vector's length (the share of features whose change has
/// another sign), comparable across layers; <see cref="Std"/> its standard deviation over the pairs.
/// </summary>
public sealed record Consistency(double Sum, double Mean, double Std);

/// <summary>One part, one layer: Δ for the part's boxes, and for random boxes of the same sizes (mean and standard deviation over the draws).</summary>
public sealed record PartConsistency(string Layer, Consistency Part, double RandomMean, double RandomStd, IReadOnlyList<double> RandomDraws);

/// <summary>One part across the images that show it.</summary>
public sealed record PartResult(string Part, IReadOnlyList<string> Images, IReadOnlyList<PartConsistency> Layers);

/// <summary>Zeiler &amp; Fergus's table 1 for a set of images with part boxes.</summary>
public sealed record CorrespondenceResult(
    string CheckpointHash,
    /// <summary>SHA-256 of the images' pixels and their boxes (what the cache key holds).</summary>
    string SetHash,
    CorrespondenceOptions Options,
    IReadOnlyList<string> Layers,
    IReadOnlyList<int> FeatureSizes,
    IReadOnlyList<PartResult> Parts);
