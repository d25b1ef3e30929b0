using System.Text.Json.Serialization;
using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Network dissection's parameters (Bau et al.; defaults as NetDissect-Lite). Part of the cache key:
/// change one and the result is computed anew.
/// </summary>
public sealed record DissectionOptions
{
    /// <summary>Top fraction of a unit's activations (over all images and positions) that counts as "on": t_u is its (1 − Quantile) quantile.</summary>
    public double Quantile { get; init; } = 0.005;
    /// <summary>A unit is labelled with its best concept only when their IoU exceeds this.</summary>
    public double IouThreshold { get; init; } = 0.04;
    /// <summary>How many top-activating images to keep per unit.</summary>
    public int TopImages { get; init; } = 8;
    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Use only the first N images of the dataset (null: all).</summary>
    public int? MaxImages { get; init; }
}

/// <summary>How well a unit's "on" region matches a concept over the probe set.</summary>
public sealed record ConceptScore(int ConceptId, string Concept, string Category, double Iou);

/// <summary>An image where the unit is among its most active: by the unit's maximum over positions.</summary>
public sealed record TopImage(int ImageIndex, float MaxActivation);

/// <summary>
/// One unit's dissection: its threshold t_u, its label (the best concept, when its IoU exceeds the
/// threshold; else null), the best concept regardless, the best per category, and its top images.
/// </summary>
public sealed record UnitDissection(
    int Unit,
    float Threshold,
    ConceptScore? Label,
    ConceptScore? Best,
    IReadOnlyList<ConceptScore> BestPerCategory,
    IReadOnlyList<TopImage> TopImages)
{
    /// <summary>
    /// Bound on |Threshold − exact quantile| of the resampled values: 0, the threshold is that quantile
    /// (<see cref="ExactThresholds"/>; results stored by earlier versions carried a histogram bin's width).
    /// </summary>
    public float ThresholdErrorBound { get; init; }

    /// <summary>
    /// The unit's masks (a_u &gt; t_u) on its top images, in their order, when this result was just computed
    /// (not stored: a result read from the store has none, and its masks are recomputed from the model,
    /// <see cref="TopImageMasks"/>).
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<UnitMask>? TopMasks { get; init; }
}

/// <summary>A unit's "on" region on one probe image: which of the image's mask pixels (row-major, as bits) have a_u &gt; t_u.</summary>
public sealed record UnitMask(int ImageIndex, int Height, int Width, ulong[] Bits)
{
    public bool this[int pixel] => (Bits[pixel >> 6] & (1UL << (pixel & 63))) != 0;

    /// <summary>Every pixel as a bool, row-major.</summary>
    public bool[] ToArray() => [.. Enumerable.Range(0, Height * Width).Select(p => this[p])];
}

/// <summary>
/// A layer's dissection: every unit, and how many units are labelled per category. <see cref="ImageCount"/>
/// images were used; <see cref="SkippedImages"/> could not be read and were left out.
/// </summary>
public sealed record LayerDissection(
    string Layer,
    string CheckpointHash,
    string DatasetHash,
    DissectionOptions Options,
    int ImageCount,
    IReadOnlyList<UnitDissection> Units,
    IReadOnlyDictionary<string, int> LabelledByCategory)
{
    public int LabelledUnits => Units.Count(u => u.Label is not null);

    /// <summary>The probe images (or their label files) that could not be read, by index; empty when all were.</summary>
    public IReadOnlyList<SkippedImage> SkippedImages { get; init; } = [];
}

/// <summary>
/// Where a dissection run is: Phase is <see cref="AnalysisPhase.Thresholds"/> (pass 1),
/// <see cref="AnalysisPhase.Iou"/> (pass 2), or, from the service and the daemon,
/// <see cref="AnalysisPhase.Cached"/> and <see cref="AnalysisPhase.Dataset"/>.
/// </summary>
public sealed record DissectionProgress(AnalysisPhase Phase, int ImagesDone, int ImagesTotal, LayerDissection? CompletedLayer = null)
{
    /// <summary>The layer the threshold search (Quantiles) or pass 2 (Iou) is on: they run layer after layer, each over every image; null in pass 1 (all layers at once).</summary>
    public string? Layer { get; init; }

    /// <summary>In Quantiles: which pass over the images the search is on (1, 2, …: each narrows the brackets 4096-fold).</summary>
    public int Round { get; init; }
}
