using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>GAN dissection's parameters (Bau et al., GAN Dissection, ICLR 2019). Part of the cache key.</summary>
public sealed record GanDissectionOptions
{
    /// <summary>How many latents are drawn (sample i is the image of latent i of <see cref="Seed"/>).</summary>
    public int Samples { get; init; } = 1000;
    public int Seed { get; init; } = 1;
    /// <summary>Top fraction of a unit's upsampled activations that counts as "on" (the paper's top 1%).</summary>
    public double Quantile { get; init; } = 0.01;
    /// <summary>A unit is labelled with its best concept only when their IoU exceeds this.</summary>
    public double IouThreshold { get; init; } = 0.04;
    /// <summary>Samples per generator pass.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>How many units each concept's ranking keeps (the units an intervention can take).</summary>
    public int UnitsPerConcept { get; init; } = 32;

    public const int MaxSamples = 100_000;

    /// <exception cref="UnitScopeException">InvalidArgument naming the option.</exception>
    public void Validate()
    {
        static UnitScopeException Bad(string message) => new(EngineErrorKind.InvalidArgument, message);
        if (Samples is < 1 or > MaxSamples)
            throw Bad($"Samples (--samples) must be 1 to {MaxSamples}, not {Samples}.");
        if (BatchSize < 1)
            throw Bad($"BatchSize (--batch-size) must be at least 1, not {BatchSize}.");
        if (UnitsPerConcept < 1)
            throw Bad($"UnitsPerConcept must be at least 1, not {UnitsPerConcept}.");
    }

    internal DissectionOptions ForDissector() => new()
    {
        Quantile = Quantile,
        IouThreshold = IouThreshold,
        TopImages = 8,
        BatchSize = BatchSize,
    };
}

/// <summary>A unit with its IoU for one concept.</summary>
public sealed record RankedUnit(int Unit, double Iou);

/// <summary>A concept's units, by IoU with it over the samples, best first (only units with IoU &gt; 0).</summary>
public sealed record ConceptUnits(int ConceptId, string Concept, string Category, IReadOnlyList<RankedUnit> Units);

/// <summary>
/// A generator layer's dissection over its own samples: every unit's labels (as network dissection's, with the
/// segmenter's concepts), the labelled units per category, and each concept's best units.
/// </summary>
public sealed record GanDissection(
    string Layer,
    string GeneratorHash,
    string SegmenterHash,
    GanDissectionOptions Options,
    LayerDissection Dissection,
    IReadOnlyList<ConceptUnits> ConceptUnits)
{
    /// <summary>The ranking for <paramref name="concept"/> (name, case-insensitive).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the concepts there are.</exception>
    public ConceptUnits For(string concept) =>
        ConceptUnits.FirstOrDefault(c => string.Equals(c.Concept, concept, StringComparison.OrdinalIgnoreCase))
        ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument,
            $"No unit of {Layer} matches concept '{concept}' over the samples. Concepts with units: " +
            string.Join(", ", ConceptUnits.Where(c => c.Units.Count > 0).Take(40).Select(c => c.Concept)) + ".");
}

/// <summary>Where a GAN analysis is: <see cref="AnalysisPhase"/> with done/total in its unit (samples).</summary>
public sealed record GanProgress(AnalysisPhase Phase, int Done, int Total);
