namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// One of a unit's strongest activations: image <paramref name="Image"/> of the set (its index), at position
/// (<paramref name="Y"/>, <paramref name="X"/>) of the layer's map, where the unit's value is <paramref name="Value"/>,
/// its largest on that image (the first such position in row-major order when several tie).
/// </summary>
public sealed record TopActivation(int Image, int Y, int X, float Value);

/// <summary>
/// The <see cref="K"/> strongest activations of every unit of a layer over an image set: per unit, the images whose
/// largest activation is highest, best first (ties: the lower image index first), each with where it is.
/// <see cref="Units"/>[u] has fewer than K entries only when the set has fewer images.
/// </summary>
public sealed record LayerTopActivations(
    string Layer,
    int K,
    int MapHeight,
    int MapWidth,
    int Images,
    string DatasetName,
    IReadOnlyList<IReadOnlyList<TopActivation>> Units);

/// <summary>Options of <see cref="TopActivations.Collect"/>.</summary>
public sealed record TopActivationOptions
{
    /// <summary>How many activations to keep per unit (Zeiler &amp; Fergus show 9).</summary>
    public int K { get; init; } = 9;

    /// <summary>Images per forward pass; speed and memory only.</summary>
    public int BatchSize { get; init; } = 32;

    public const int MaxK = 100;
}

/// <summary>Progress of <see cref="TopActivations.Collect"/>: images done of the total.</summary>
public sealed record TopActivationProgress(AnalysisPhase Phase, int Done, int Total);
