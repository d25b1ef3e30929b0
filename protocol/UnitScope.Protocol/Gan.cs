using System.Text.Json;

namespace UnitScope.Protocol;

// GAN dissection (Bau et al., ICLR 2019; seed 000): a generator layer's units labelled by the concepts they draw, and
// interventions: a concept's units ablated (against random units) or forced on inside a region.

/// <summary>
/// <c>unitscope/ganDissect</c> on a loaded generator (a DCGAN-style state_dict). <paramref name="SegmenterPath"/>: a
/// segmentation model with its <c>NAME.segments.txt</c>; default: the demo segmenter from the cache, trained on the probe
/// scenes when the cache lacks it (minutes). Runs in the background with work-done progress and cancellation; cached.
/// </summary>
public sealed record GanDissectParams(
    string ModelId,
    string Layer,
    string? SegmenterPath = null,
    int? Samples = null,
    int? Seed = null,
    double? Quantile = null,
    double? IouThreshold = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null);

/// <summary>A unit's label (<paramref name="Concept"/> null: no concept above the IoU threshold; <paramref name="Iou"/> its IoU, else 0) and its best concept regardless.</summary>
public sealed record GanUnitLabel(int Unit, double Iou, double BestIou, string? Concept = null, string? Category = null, string? BestConcept = null);

/// <summary>A concept's units by IoU with it, best first (units with IoU &gt; 0, at most 32).</summary>
public sealed record GanConceptUnits(string Concept, string Category, IReadOnlyList<int> Units, IReadOnlyList<double> Ious);

/// <summary>A generated sample (base64 PNG, at the generator's size) and its segmentation in one category (base64 PNG, a colour per concept).</summary>
public sealed record GanSample(int Index, string ImagePng, string SegmentationPng);

/// <param name="Samples">The first samples of the dissection's seed, segmented (what the panel's grid shows).</param>
/// <param name="SummaryPng">Base64 PNG: labelled units per category.</param>
public sealed record GanDissectResult(
    string Layer,
    int SampleCount,
    int Seed,
    int ImageWidth,
    int ImageHeight,
    IReadOnlyList<GanUnitLabel> Units,
    IReadOnlyDictionary<string, int> LabelledByCategory,
    IReadOnlyList<GanConceptUnits> Concepts,
    string SegmentedCategory,
    IReadOnlyList<GanSample> Samples,
    string SummaryPng,
    bool Cached = false);

/// <summary>A rectangle of the generated image in its pixels: columns [X0, X1), rows [Y0, Y1).</summary>
public sealed record GanRegion(int X0, int Y0, int X1, int Y1);

/// <summary>
/// <c>unitscope/ganEdit</c>: ablates the concept's top <paramref name="Units"/> units of the layer (and as many random
/// units, <paramref name="RandomDraws"/> times) and, with a <paramref name="Region"/>, forces them on there; measured over
/// <paramref name="Samples"/> samples of <paramref name="Seed"/>. The layer's dissection (with <paramref name="DissectSamples"/>
/// samples, seed 1) comes from the cache or is computed first. Background, with progress and cancellation.
/// </summary>
public sealed record GanEditParams(
    string ModelId,
    string Layer,
    string Concept,
    int? Units = null,
    int? Samples = null,
    int? Seed = null,
    int? RandomDraws = null,
    GanRegion? Region = null,
    int? Examples = null,
    string? SegmenterPath = null,
    int? DissectSamples = null,
    JsonElement? WorkDoneToken = null);

/// <summary>One sample as generated and edited, base64 PNGs.</summary>
public sealed record GanEditExample(int Sample, string OriginalPng, string EditedPng);

/// <summary>The concept's share of all generated pixels: intact, its top units ablated, random units ablated (per draw).</summary>
public sealed record GanAblationResult(
    IReadOnlyList<int> TopUnits, double AreaBefore, double AreaTopAblated, IReadOnlyList<double> AreaRandomAblated,
    double TopDrop, double RandomDrop, IReadOnlyList<GanEditExample> Examples);

/// <summary>The concept's share inside and outside the region, intact and with the units forced on there.</summary>
public sealed record GanInsertionResult(
    GanRegion Region, GanRegion LayerRegion, IReadOnlyList<float> Values, double InsideBefore, double InsideAfter,
    double OutsideBefore, double OutsideAfter, int SamplesGaining, IReadOnlyList<GanEditExample> Examples);

public sealed record GanEditResult(
    string Layer, string Concept, string Category, int SampleCount, GanAblationResult Ablation, GanInsertionResult? Insertion);
