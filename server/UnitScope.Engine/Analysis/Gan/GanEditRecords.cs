using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>A rectangle of the generated image, in image pixels: columns [X0, X1), rows [Y0, Y1).</summary>
public sealed record ImageRegion(int X0, int Y0, int X1, int Y1)
{
    public int Area => (X1 - X0) * (Y1 - Y0);

    /// <exception cref="UnitScopeException">InvalidArgument when it is empty or leaves a <paramref name="width"/> × <paramref name="height"/> image.</exception>
    public void Validate(int width, int height)
    {
        if (X0 < 0 || Y0 < 0 || X1 > width || Y1 > height || X0 >= X1 || Y0 >= Y1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The region (--region) x {X0}..{X1}, y {Y0}..{Y1} is not a non-empty rectangle inside the {width}×{height} generated image.");
    }
}

/// <summary>What to change in a generator layer: the top <see cref="Units"/> units of <see cref="Concept"/> by IoU.</summary>
public sealed record GanEditOptions
{
    public string Concept { get; init; } = "";
    /// <summary>k: how many of the concept's best units are switched off (ablation) or on (insertion).</summary>
    public int Units { get; init; } = 20;
    /// <summary>Samples measured (the seed: many; at least 200 for the figures reported).</summary>
    public int Samples { get; init; } = 200;
    /// <summary>Seed of the samples' latents; by default other samples than dissection's (seed 1) so the figures are held out.</summary>
    public int Seed { get; init; } = 1001;
    /// <summary>Ablation: how many sets of k random units (not among the top k) are ablated as the control.</summary>
    public int RandomDraws { get; init; } = 3;
    /// <summary>Insertion: where the units are forced on; null for ablation.</summary>
    public ImageRegion? Region { get; init; }
    /// <summary>How many samples' images come back (original and edited), for pictures.</summary>
    public int Examples { get; init; } = 8;
    public int BatchSize { get; init; } = 32;

    /// <exception cref="UnitScopeException">InvalidArgument naming the option.</exception>
    public void Validate(int layerUnits)
    {
        static UnitScopeException Bad(string message) => new(EngineErrorKind.InvalidArgument, message);
        if (string.IsNullOrWhiteSpace(Concept))
            throw Bad("Name the concept (--concept) whose units are edited.");
        if (Units < 1 || Units > layerUnits)
            throw Bad($"Units (--units) must be 1 to the layer's {layerUnits}, not {Units}.");
        if (Samples < 1 || Samples > GanDissectionOptions.MaxSamples)
            throw Bad($"Samples (--samples) must be 1 to {GanDissectionOptions.MaxSamples}, not {Samples}.");
        if (RandomDraws < 0 || (RandomDraws > 0 && Units > layerUnits / 2))
            throw Bad($"RandomDraws (--random) must be 0 or more, and random controls need k (--units {Units}) at most half the layer's {layerUnits} units.");
        if (Examples < 0 || BatchSize < 1)
            throw Bad($"Examples must be 0 or more and BatchSize at least 1 (got {Examples}, {BatchSize}).");
    }
}

/// <summary>One sample before and after an edit.</summary>
public sealed record EditExample(int Sample, RgbImage Original, RgbImage Edited);

/// <summary>
/// Ablation of a concept's units (GAN Dissection §4.2): the fraction of all generated pixels segmented as the concept
/// with the layer intact, with its top k units zeroed, and with k random other units zeroed (each draw, and their mean).
/// </summary>
public sealed record GanAblation(
    string Layer, string Concept, string Category, int Samples, IReadOnlyList<int> TopUnits,
    double AreaBefore, double AreaTopAblated,
    IReadOnlyList<IReadOnlyList<int>> RandomUnits, IReadOnlyList<double> AreaRandomAblated,
    IReadOnlyList<EditExample> Examples)
{
    /// <summary>Relative drop of the concept's area when its top units are ablated: 1 − after / before.</summary>
    public double TopDrop => AreaBefore == 0 ? 0 : 1 - AreaTopAblated / AreaBefore;
    /// <summary>The same for k random units, averaged over the draws.</summary>
    public double RandomDrop => AreaBefore == 0 || AreaRandomAblated.Count == 0 ? 0 : 1 - AreaRandomAblated.Average() / AreaBefore;
}

/// <summary>
/// Insertion of a concept (GAN Dissection §4.3): its top k units forced to <see cref="Values"/> inside the region (at
/// the layer's resolution), and the fraction of pixels segmented as the concept inside and outside the region, before
/// and after, over the samples. Where the context does not allow the concept, fewer samples gain it.
/// </summary>
public sealed record GanInsertion(
    string Layer, string Concept, string Category, int Samples, IReadOnlyList<int> Units, IReadOnlyList<float> Values, ImageRegion Region,
    ImageRegion LayerRegion, double InsideBefore, double InsideAfter, double OutsideBefore, double OutsideAfter,
    int SamplesGaining, IReadOnlyList<EditExample> Examples)
{
    public double InsideIncrease => InsideAfter - InsideBefore;
    public double OutsideIncrease => OutsideAfter - OutsideBefore;
}
