using System.Text.Json;

namespace UnitScope.Protocol;

// What a unit sees (Zeiler & Fergus, figure 2): a unit's strongest activations over a dataset, each shown
// as the image with the receptive field outlined, the patch under it, and its projection to the pixels.

/// <summary>
/// <c>unitscope/unitGallery</c>. One pass over the dataset keeps the strongest activations of every unit of the
/// layer (cached: another unit of the same layer and k comes from the cache); the unit's winners are then projected
/// back to the pixels. Runs in the background with work-done progress and cancellation.
/// </summary>
/// <param name="Layer">A layer with spatial maps ([C, H, W]: a convolution, a pooling, a block).</param>
/// <param name="Unit">The unit (channel) of the layer.</param>
/// <param name="Dataset">"probe" (the built-in probe set, the default) or a Broden-format folder (with index.csv).</param>
/// <param name="K">How many activations to show (1–100, default 9).</param>
/// <param name="Method">"deconvnet", "guided" (guided backpropagation), "gradient", or "auto"/absent: the deconvnet
/// where the layer is reached by a chain of modules it can run backwards, else guided backpropagation, else the gradient.</param>
/// <param name="BatchSize">Images per forward pass of the top-k pass (1–1024, default 32); changes only the speed.</param>
/// <param name="WorkDoneToken">LSP progress token (integer or string) for work-done progress.</param>
/// <param name="CachedOnly">Answer only when the layer's top-k pass is cached (the unit's winners are then projected):
/// null when it was never run over this dataset (no pass over the dataset is started).</param>
public sealed record UnitGalleryParams(
    string ModelId,
    string Layer,
    int Unit,
    string? Dataset = null,
    int? K = null,
    string? Method = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null,
    bool? CachedOnly = null);

/// <summary>A box in the model input's pixels (top, left, height, width), clipped to the input.</summary>
public sealed record PixelBoxInfo(int Top, int Left, int Height, int Width);

/// <summary>One of the unit's strongest activations, three ways.</summary>
/// <param name="Image">Index of the image in the dataset.</param>
/// <param name="ImagePath">The image's file.</param>
/// <param name="Y">Row of the activation in the layer's map.</param>
/// <param name="X">Column of the activation in the layer's map.</param>
/// <param name="Value">The activation: the unit's largest value on this image.</param>
/// <param name="Box">The activation's receptive field in the model input.</param>
/// <param name="ImagePng">Base64 PNG: the image as the model saw it, the box outlined.</param>
/// <param name="PatchPng">Base64 PNG: the image under the box, at the input's pixel scale.</param>
/// <param name="ProjectionPng">Base64 PNG: the projection to the pixels under the box (zero mid-grey).</param>
public sealed record GalleryActivation(
    int Image,
    string ImagePath,
    int Y,
    int X,
    float Value,
    PixelBoxInfo Box,
    string ImagePng,
    string PatchPng,
    string ProjectionPng);

/// <summary>A unit's gallery.</summary>
/// <param name="Units">How many units the layer has.</param>
/// <param name="Method">"deconvnet", "guided" or "gradient": the projection used.</param>
/// <param name="MethodReason">Why that method, in words.</param>
/// <param name="Dataset">"probe" or the folder.</param>
/// <param name="Images">How many images the pass went over.</param>
/// <param name="ReceptiveField">The layer's receptive field in words ("18×18, stride 4, start -7"); null when it is the whole input.</param>
/// <param name="Activations">Strongest first.</param>
/// <param name="FigurePng">Base64 PNG: the three rows (image, patch, projection) side by side, titled, for saving.</param>
/// <param name="Cached">The top-k pass came from the cache.</param>
public sealed record UnitGalleryResult(
    string Layer,
    int Unit,
    int Units,
    string Method,
    string MethodReason,
    string Dataset,
    int Images,
    int InputWidth,
    int InputHeight,
    string? ReceptiveField,
    IReadOnlyList<GalleryActivation> Activations,
    string FigurePng,
    bool Cached);
