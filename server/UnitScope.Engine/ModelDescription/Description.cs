namespace UnitScope.Engine.ModelDescription;

/// <summary>
/// What a user tells about a model that its file does not: <c>NAME.unitscope.json</c> beside
/// <c>NAME.pth</c> / <c>NAME.onnx</c>. Every field is optional; explicit <see cref="ModelOptions"/>
/// win over it, and it wins over what is detected or defaulted.
/// <code>
/// { "architecture": "resnet18", "inputSize": [224, 224],
///   "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
///   "resize": 256, "centerCrop": [224, 224], "interpolation": "bicubic",
///   "classNames": ["cat", "dog"]  or  "classNamesFile": "classes.txt" }
/// </code>
/// <c>resize</c> and <c>centerCrop</c> are how images are sized for the model before they are resized to
/// <c>inputSize</c> and normalised (torchvision <c>Resize(256)</c>, <c>CenterCrop(224)</c>): they apply to
/// evaluation sets (<see cref="Datasets.ImageFolderOptions"/>) and to single images
/// (<see cref="ModelSession.SizeImage"/>: predictions, unit maps, occlusion), where options given explicitly
/// win, setting by setting. <c>interpolation</c> is how every resize samples (torchvision's <c>InterpolationMode</c>
/// names: bilinear, the default, nearest, bicubic, box, hamming, lanczos; done as PIL does).
/// </summary>
public sealed record Description
{
    /// <summary>Zoo name (resnet18, vgg16_bn, …), or "onnx" for an ONNX model.</summary>
    public string? Architecture { get; init; }
    /// <summary>[height, width] in pixels.</summary>
    public int[]? InputSize { get; init; }
    /// <summary>Per-channel mean in [0, 1] units, one value per input channel.</summary>
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    /// <summary>Resize images so their shorter side has this many pixels (torchvision <c>Resize(int)</c>).</summary>
    public int? Resize { get; init; }
    /// <summary>Then cut their centre, [height, width] in pixels (torchvision <c>CenterCrop</c>).</summary>
    public int[]? CenterCrop { get; init; }
    /// <summary>How images are resized (<c>Resize(…, interpolation=…)</c>); null: bilinear.</summary>
    public Imaging.Resampling? Interpolation { get; init; }
    /// <summary>One name per class, in output order (read from <see cref="ClassNamesFile"/> when that is given).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>A text file with one class name per line, relative to the description file's folder.</summary>
    public string? ClassNamesFile { get; init; }

    /// <summary>The <see cref="Resize"/> and <see cref="CenterCrop"/> as image-folder options (none set when it gives neither).</summary>
    public Datasets.ImageFolderOptions ToImageFolderOptions() => new()
    {
        ResizeShorterSide = Resize,
        CropHeight = CenterCrop?[0],
        CropWidth = CenterCrop?[1],
        Resampling = Interpolation,
    };
}
