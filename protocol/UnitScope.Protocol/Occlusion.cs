using System.Text.Json;

namespace UnitScope.Protocol;

// Occlusion sensitivity (Zeiler & Fergus, figure 7): a square slid over the image, one forward pass
// per position (batched), and what each position does to the target class's probability, to the
// most probable class and to one unit's activity.

/// <summary>
/// <c>unitscope/occlude</c>. Give exactly one of <c>imagePath</c> and <c>imageBase64</c>. The square
/// is placed at every <c>stride</c> pixels of the model input (its last position touches the right
/// and bottom edges), so the maps have one cell per position. Runs in the background with work-done
/// progress (per batch) and cancellation; results are cached per (checkpoint, image, parameters).
/// </summary>
/// <param name="ImageBase64">PNG/JPEG bytes, base64 (a data URL is accepted).</param>
/// <param name="TargetClass">Class whose probability the first map shows; default: the class the model predicts for the unoccluded image.</param>
/// <param name="Size">Side of the occluding square in pixels of the model input (1 to the input's smaller side).</param>
/// <param name="Stride">Pixels between neighbouring positions of the square (1 to the input's smaller side).</param>
/// <param name="Fill">The square's colour, per channel in [0, 1] before normalisation (one value for every channel, or one per channel), applied in 8-bit steps (0.5 is 128/255); default: the model's normalisation mean (the dataset mean).</param>
/// <param name="Layer">Layer whose unit's activity is mapped (spatial output [C,H,W]); default: the model's last layer with spatial maps.</param>
/// <param name="Unit">Unit of <c>layer</c>; default: the unit with the strongest response to the unoccluded image.</param>
/// <param name="BatchSize">Occluded copies per forward pass (1–1024, default 32); changes only the speed.</param>
/// <param name="WorkDoneToken">LSP progress token (integer or string) for work-done progress.</param>
public sealed record OccludeParams(
    string ModelId,
    int Size,
    int Stride,
    string? ImagePath = null,
    string? ImageBase64 = null,
    int? TargetClass = null,
    IReadOnlyList<float>? Fill = null,
    string? Layer = null,
    int? Unit = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null);

/// <summary>
/// One map of occlusion: a value per position of the square, row-major, <c>rows × columns</c>, and a
/// PNG of it as a heatmap (viridis, min–max) at the size of <see cref="OccludeResult.ImagePng"/>, to
/// lay over the image.
/// </summary>
/// <param name="Values">Row-major, <c>rows × columns</c>: the value with the square at that position.</param>
/// <param name="Unoccluded">The value without any square (for comparison).</param>
/// <param name="HeatmapPng">Base64 PNG: the map upsampled and coloured, nothing else (the panel blends it over the image).</param>
public sealed record OcclusionMap(
    IReadOnlyList<float> Values,
    float Min,
    float Max,
    float Unoccluded,
    string HeatmapPng);

/// <summary>A class that is the most probable one at some position of the square, with the colour the class map draws it in.</summary>
/// <param name="Cells">Positions at which it is the most probable class.</param>
/// <param name="Color">CSS hex colour, <c>#rrggbb</c>.</param>
public sealed record ClassLegendEntry(int Index, string Label, string Color, int Cells);

/// <summary>The most probable class at each position of the square.</summary>
/// <param name="Classes">Row-major class indices, <c>rows × columns</c>.</param>
/// <param name="Legend">The classes that occur, most cells first.</param>
/// <param name="HeatmapPng">Base64 PNG: each cell in its class's colour, at the image's size.</param>
public sealed record ClassMap(
    IReadOnlyList<int> Classes,
    IReadOnlyList<ClassLegendEntry> Legend,
    string HeatmapPng);

/// <summary>The activity of one unit (its feature map summed over positions) with the square at each position.</summary>
/// <param name="Strongest">The unit was chosen as the one with the strongest response to the unoccluded image.</param>
public sealed record UnitActivityMap(string Layer, int Unit, bool Strongest, OcclusionMap Map);

/// <summary>
/// Occlusion of one image. Positions: row <c>r</c>, column <c>c</c> has the square's top-left corner at
/// (<c>c × stride</c>, <c>r × stride</c>) of the model input, clipped to the input.
/// </summary>
/// <param name="ClassNames">Every class of the model, by index.</param>
/// <param name="TargetProbability">The target class's probability on the unoccluded image.</param>
/// <param name="PredictedClass">The most probable class on the unoccluded image.</param>
/// <param name="Fill">The fill colour used, per channel in [0, 1] (a given fill as the 8-bit value it became).</param>
/// <param name="ImagePng">Base64 PNG: the image as the model sees it (resized to its input); every heatmap has its size.</param>
/// <param name="Probability">The target class's probability at each position.</param>
/// <param name="MostProbable">The most probable class at each position.</param>
/// <param name="Activity">The unit's activity at each position; absent only when the model has no layer with spatial maps.</param>
/// <param name="CompositePng">Base64 PNG: figure 7 as one picture (image, probability map, class map, activity map).</param>
/// <param name="Cached">Read from the cache rather than computed.</param>
public sealed record OccludeResult(
    int TargetClass,
    string TargetLabel,
    float TargetProbability,
    int PredictedClass,
    IReadOnlyList<string> ClassNames,
    int Size,
    int Stride,
    IReadOnlyList<float> Fill,
    int Rows,
    int Columns,
    int ImageWidth,
    int ImageHeight,
    string ImagePng,
    OcclusionMap Probability,
    ClassMap MostProbable,
    string CompositePng,
    UnitActivityMap? Activity = null,
    bool Cached = false,
    PreprocessingInfo? Preprocessing = null);
