namespace UnitScope.Protocol;

/// <summary>
/// <c>unitscope/loadModel</c>. Everything but the path is optional: the architecture is detected
/// from the checkpoint, the input size defaults to the architecture's, mean/std to ImageNet's.
/// </summary>
/// <param name="Path">Checkpoint file (.pth/.pt, .safetensors, TorchSharp .dat), absolute or relative to the daemon's directory.</param>
/// <param name="Architecture">Zoo name (alexnet, zfnet, vgg11, vgg16, resnet18, resnet50, smallcnn…).</param>
/// <param name="InputSize">[height, width] of the model input.</param>
/// <param name="Mean">Per-channel mean in [0,1] units.</param>
/// <param name="Device">auto (default), cpu, cuda, cuda:N.</param>
/// <param name="AssemblyPath">A TorchSharp model's compiled C# definition (.dll): the checkpoint (a .dat) is loaded into its class.</param>
/// <param name="SourcePath">Instead of <c>assemblyPath</c>: a single C# file defining the model, compiled by the daemon.</param>
/// <param name="TypeName">The model's class (<c>Ns.Net</c>: a constructor without required arguments) or static factory
/// (<c>Ns.Models.Create</c>) in that code; omitted: its one public <c>nn.Module&lt;Tensor, Tensor&gt;</c> class.</param>
public sealed record LoadModelParams(
    string Path,
    string? Architecture = null,
    IReadOnlyList<int>? InputSize = null,
    IReadOnlyList<float>? Mean = null,
    IReadOnlyList<float>? Std = null,
    string? Device = null,
    string? AssemblyPath = null,
    string? SourcePath = null,
    string? TypeName = null);

/// <summary>What the model expects as input after preprocessing.</summary>
public sealed record InputSpec(int Channels, int Height, int Width, IReadOnlyList<float> Mean, IReadOnlyList<float> Std);

/// <summary>
/// How images became the model's input for a result, so nothing is decided silently: every analysis result and
/// the loaded model's info carry it, and the panels show it.
/// </summary>
/// <param name="Summary">One line for people: the sizing, the resize to the input size, the mean and std and where they came from.</param>
/// <param name="MeanSource">Where the mean came from: "options" (loadModel), "description" (NAME.unitscope.json),
/// "imagenet" (the default), "imagenetGray" (ImageNet's averaged: the default for 1-channel models).</param>
/// <param name="Interpolation">How images are resized (torchvision's name: bilinear, bicubic, …), as PIL does it.</param>
/// <param name="Warnings">What may make the result wrong, each a sentence: default grey normalisation, classes
/// matched to the model's outputs by position, a class-names file that does not fit, probe images resized.</param>
public sealed record PreprocessingInfo(
    string Summary,
    IReadOnlyList<float> Mean,
    IReadOnlyList<float> Std,
    string MeanSource,
    string StdSource,
    string Interpolation,
    IReadOnlyList<string> Warnings);

/// <summary>
/// One addressable layer, by the dotted name PyTorch's <c>named_modules()</c> gives it
/// (<c>features.28</c>, <c>layer4.1.conv2</c>).
/// </summary>
/// <param name="Kind">Module class: Conv2d, ReLU, BatchNorm2d, BasicBlock, Linear…</param>
/// <param name="Units">Output channels (or features).</param>
/// <param name="OutputShape">Output shape for one image without the batch dimension: [C,H,W] or [F].</param>
public sealed record LayerInfo(
    string Name,
    string Kind,
    int Units,
    IReadOnlyList<int> OutputShape);

/// <summary>A loaded model.</summary>
/// <param name="ModelId">The id every other request names the model by.</param>
/// <param name="CheckpointHash">SHA-256 of the checkpoint's bytes, lowercase hex.</param>
/// <param name="Device">cpu, cuda:0…</param>
/// <param name="ClassNames">The name of each class, by index (from the model's description, else "class N").</param>
/// <param name="Preprocessing">How its images are prepared (the description's sizing applied), with warnings.</param>
/// <param name="Generator">An image generator (its input a latent vector, <c>Input</c> being [nz, 1, 1]): what the GAN
/// analyses (<c>unitscope/ganDissect</c>, <c>unitscope/ganEdit</c>) take, and what the classifier analyses do not.</param>
public sealed record ModelInfo(
    string ModelId,
    string Path,
    string CheckpointHash,
    string Architecture,
    InputSpec Input,
    int ClassCount,
    string Device,
    IReadOnlyList<LayerInfo> Layers,
    IReadOnlyList<string>? ClassNames = null,
    PreprocessingInfo? Preprocessing = null,
    bool Generator = false);

public sealed record ListModelsParams;

/// <param name="ActiveModelId">The model hover uses: the last one loaded that is still loaded.</param>
public sealed record ListModelsResult(
    IReadOnlyList<ModelInfo> Models,
    string? ActiveModelId = null);

public sealed record UnloadModelParams(string ModelId);

public sealed record UnloadModelResult;

public sealed record ListLayersParams(string ModelId);

public sealed record ListLayersResult(IReadOnlyList<LayerInfo> Layers);

/// <summary><c>unitscope/predict</c>: give exactly one of <c>imagePath</c> and <c>imageBase64</c> (PNG/JPEG bytes).</summary>
/// <param name="Top">How many classes to list in <c>top</c> (default 5).</param>
public sealed record PredictParams(
    string ModelId,
    string? ImagePath = null,
    string? ImageBase64 = null,
    int? Top = null);

public sealed record ClassScore(int Index, string Label, float Probability);

/// <param name="Score">A model with one output (a discriminator's sigmoid, a regression): that output, a score rather
/// than a class; <c>probabilities</c> and <c>top</c> are then empty.</param>
public sealed record PredictResult(IReadOnlyList<float> Logits, IReadOnlyList<float> Probabilities, IReadOnlyList<ClassScore> Top,
    PreprocessingInfo? Preprocessing = null, float? Score = null);

/// <summary><c>unitscope/unitMap</c>: one unit's activation over one image. Give exactly one of <c>imagePath</c> and <c>imageBase64</c>.</summary>
public sealed record UnitMapParams(
    string ModelId,
    string Layer,
    int Unit,
    string? ImagePath = null,
    string? ImageBase64 = null);

/// <param name="MapWidth">Size of the map at the layer's own resolution.</param>
/// <param name="Values">The raw activations, row-major, mapHeight × mapWidth.</param>
/// <param name="OverlayPng">Base64 PNG: the heatmap upsampled and overlaid on the image, at the image's size.</param>
public sealed record UnitMapResult(
    string Layer,
    int Unit,
    int MapWidth,
    int MapHeight,
    float Min,
    float Max,
    float Mean,
    IReadOnlyList<float> Values,
    string OverlayPng,
    int ImageWidth,
    int ImageHeight,
    PreprocessingInfo? Preprocessing = null);
