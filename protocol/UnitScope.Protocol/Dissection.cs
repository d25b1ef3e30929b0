using System.Text.Json;

namespace UnitScope.Protocol;

// Network dissection (Bau et al.): which concept each unit's top activations match, over a probe
// set with pixel-level labels. The records mirror the engine's result records; the daemon maps.

/// <summary>
/// Dissection parameters; each one left out takes its default (quantile 0.005, iouThreshold 0.04,
/// topImages 8, batchSize 16, every image). All of them but <c>batchSize</c> change the result.
/// </summary>
/// <param name="Quantile">Top fraction of a unit's activations (over all images and positions) that counts as "on", in (0, 0.5].</param>
/// <param name="IouThreshold">A unit is labelled with its best concept only when their IoU exceeds this, in [0, 1].</param>
/// <param name="TopImages">How many top-activating images to keep per unit (1–64).</param>
/// <param name="MaxImages">Use only the first N images of the dataset (default: all).</param>
/// <param name="BatchSize">Images per forward pass (1–1024).</param>
public sealed record DissectionOptions(
    double? Quantile = null,
    double? IouThreshold = null,
    int? TopImages = null,
    int? MaxImages = null,
    int? BatchSize = null);

/// <summary>The parameters a dissection was computed with, every one resolved.</summary>
/// <param name="MaxImages">Absent when every image of the dataset was used.</param>
public sealed record DissectionSettings(
    double Quantile,
    double IouThreshold,
    int TopImages,
    int BatchSize,
    int? MaxImages = null);

/// <summary>How well a unit's "on" region matches a concept over the probe set (intersection over union).</summary>
public sealed record ConceptScore(int ConceptId, string Concept, string Category, double Iou);

/// <summary>An image where the unit is among its most active (by its maximum over positions).</summary>
/// <param name="ImageIndex">Index of the image in the dataset.</param>
public sealed record TopImage(int ImageIndex, float MaxActivation);

/// <summary>One unit's dissection.</summary>
/// <param name="Threshold">t_u: the activation above which the unit counts as "on".</param>
/// <param name="Label">The best concept when its IoU exceeds the threshold; absent when the unit is unlabelled.</param>
/// <param name="Best">The best concept regardless of the threshold.</param>
/// <param name="BestPerCategory">The best concept of each category.</param>
public sealed record UnitDissection(
    int Unit,
    float Threshold,
    IReadOnlyList<ConceptScore> BestPerCategory,
    IReadOnlyList<TopImage> TopImages,
    ConceptScore? Label = null,
    ConceptScore? Best = null);

/// <summary>A concept category of the dataset (color, texture, shape, object, part, material, scene…) with the colour reports draw it in.</summary>
/// <param name="Color">CSS hex colour, <c>#rrggbb</c>.</param>
public sealed record CategoryInfo(string Name, string Color);

/// <summary>How many units of a layer are labelled with a concept of one category.</summary>
public sealed record CategoryCount(string Category, int Units);

/// <summary>A layer's dissection: every unit, and how many are labelled per category.</summary>
/// <param name="Dataset">"probe" (the built-in generated set) or the Broden folder, as the daemon resolved it.</param>
/// <param name="DatasetHash">Identity of the dataset's content: part of the cache key.</param>
/// <param name="ImageCount">Images the dissection went over.</param>
/// <param name="Categories">The dataset's categories in its order, with their colours.</param>
/// <param name="LabelledByCategory">Labelled units per category, in the dataset's category order (categories with none included).</param>
/// <param name="Skipped">Probe images (or their label files) that could not be read and were left out; absent when none.</param>
public sealed record LayerDissection(
    string Layer,
    string CheckpointHash,
    string Dataset,
    string DatasetHash,
    DissectionSettings Options,
    int ImageCount,
    int LabelledUnits,
    IReadOnlyList<CategoryInfo> Categories,
    IReadOnlyList<CategoryCount> LabelledByCategory,
    IReadOnlyList<UnitDissection> Units,
    SkippedImages? Skipped = null);

/// <summary>
/// <c>unitscope/dissect</c>: dissects layers of a loaded model, or returns their cached results.
/// Progress: LSP work-done progress on <c>workDoneToken</c> (or, without one, on a token the daemon
/// creates with <c>window/workDoneProgress/create</c> when the client advertised
/// <c>window.workDoneProgress</c>). With <c>partialResultToken</c>, each layer is sent as a
/// <c>$/progress</c> whose value is a <see cref="DissectResult"/> of that one layer as soon as it is
/// done (cached layers first), and the final result is then empty (<c>layers: []</c>), as LSP
/// prescribes. <c>$/cancelRequest</c> stops the run between batches (error RequestCancelled);
/// layers finished before stay cached.
/// </summary>
/// <param name="Layers">Layer names with spatial output ([C,H,W]); duplicates are ignored.</param>
/// <param name="Dataset">"probe" (default: the built-in generated probe set, built on first use) or the path of a Broden-format folder.</param>
/// <param name="WorkDoneToken">LSP progress token (integer or string) for work-done progress.</param>
/// <param name="PartialResultToken">LSP progress token (integer or string) for partial results.</param>
public sealed record DissectParams(
    string ModelId,
    IReadOnlyList<string> Layers,
    string? Dataset = null,
    DissectionOptions? Options = null,
    JsonElement? WorkDoneToken = null,
    JsonElement? PartialResultToken = null);

/// <summary>The layers dissected, in the order asked (empty when they were all sent as partial results).</summary>
/// <param name="Notes">What the user should know about how the probe images reached the model (e.g. 112-px probe
/// images resized to a 32-px model's input, the unit maps upsampled to the masks); absent when nothing.</param>
public sealed record DissectResult(IReadOnlyList<LayerDissection> Layers, IReadOnlyList<string>? Notes = null);

/// <summary><c>unitscope/dissection</c>: a layer's cached dissection for this dataset and these options; never computes.</summary>
public sealed record DissectionParams(
    string ModelId,
    string Layer,
    string? Dataset = null,
    DissectionOptions? Options = null);

/// <summary><c>unitscope/dissectedLayers</c>: which layers of a model have cached dissections.</summary>
public sealed record DissectedLayersParams(string ModelId);

/// <summary>One cached dissection of a layer (a layer may have several: other datasets or options).</summary>
/// <param name="IsDefault">Computed on the built-in probe set with the default options: the one hovers show.</param>
public sealed record DissectedLayer(
    string Layer,
    string DatasetHash,
    DissectionSettings Options,
    int Units,
    int LabelledUnits,
    bool IsDefault);

public sealed record DissectedLayersResult(IReadOnlyList<DissectedLayer> Layers);

/// <summary>
/// <c>unitscope/unitCard</c>: a PNG of one unit's top images with the region where the unit is "on"
/// outlined, from the layer's cached dissection (dataset and options as for <c>unitscope/dissection</c>).
/// Error InvalidArgument when the layer has not been dissected so.
/// </summary>
public sealed record UnitCardParams(
    string ModelId,
    string Layer,
    int Unit,
    string? Dataset = null,
    DissectionOptions? Options = null);

/// <param name="Png">Base64 PNG.</param>
public sealed record UnitCardResult(string Layer, int Unit, string Png, int Width, int Height);
