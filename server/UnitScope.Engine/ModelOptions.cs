using UnitScope.Engine.Imaging;
using UnitScope.Engine.TorchSharpModels;

namespace UnitScope.Engine;

/// <summary>
/// How to build and feed a model. Everything is optional: the architecture is detected from the
/// checkpoint, the input size defaults to the architecture's, mean/std to ImageNet's.
/// </summary>
public sealed record ModelOptions
{
    /// <summary>Zoo name (alexnet, vgg16, resnet18, smallcnn); null → detect from the state_dict.</summary>
    public string? Architecture { get; init; }
    public int? InputHeight { get; init; }
    public int? InputWidth { get; init; }
    /// <summary>Per-channel mean in [0,1] units; one value per model input channel.</summary>
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    /// <summary>auto, cpu, cuda, cuda:N.</summary>
    public string Device { get; init; } = "auto";
    /// <summary>A TorchSharp model's C# class (assembly or source file + type): the checkpoint (.dat) is loaded into it.</summary>
    public CSharpModelDefinition? Definition { get; init; }
}

/// <summary>What the model expects as input after preprocessing.</summary>
public sealed record InputSpec(int Channels, int Height, int Width, float[] Mean, float[] Std)
{
    /// <summary>How an image of another size is resized to Height × Width (torchvision's <c>Resize((H, W))</c>,
    /// done as PIL does): the model description's <c>interpolation</c>, else bilinear.</summary>
    public Resampling Resampling { get; init; } = Resampling.Bilinear;

    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];
}
