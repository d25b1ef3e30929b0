using System.Globalization;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.ModelDescription;

namespace UnitScope.Engine;

/// <summary>Where a model's mean or std came from.</summary>
public enum NormalisationSource
{
    /// <summary>Given explicitly (--mean/--std, the daemon's loadModel).</summary>
    Options,
    /// <summary>The model's description file (<c>NAME.unitscope.json</c>).</summary>
    Description,
    /// <summary>ImageNet's, the default for 3-channel models.</summary>
    ImageNet,
    /// <summary>ImageNet's averaged over its channels (0.449 / 0.226), the default for 1-channel models: a guess
    /// that is wrong for most grey models (MNIST's are 0.1307 / 0.3081), so it is always pointed out.</summary>
    ImageNetGray,
}

/// <summary>
/// How images became a model's input for a result, for people: a one-line summary, the numbers, and what may
/// make the result wrong (<see cref="Warnings"/>). Every front end shows it (CLI stderr and --json, the daemon's
/// results and the panels), so nothing is decided silently.
/// </summary>
/// <param name="Summary">"resize 256, centre crop 224x224, then resized to 224x224 when that is not their size (bilinear, as PIL does); mean 0.485,0.456,0.406 and std 0.229,0.224,0.225: ImageNet's (the default)".</param>
public sealed record InputPreprocessing(
    string Summary,
    float[] Mean,
    float[] Std,
    NormalisationSource MeanSource,
    NormalisationSource StdSource,
    Resampling Resampling,
    IReadOnlyList<string> Warnings)
{
    /// <summary>"imagenetGray", "description", … as the protocol and --json spell a source.</summary>
    public static string Name(NormalisationSource source) => source switch
    {
        NormalisationSource.Options => "options",
        NormalisationSource.Description => "description",
        NormalisationSource.ImageNet => "imagenet",
        _ => "imagenetGray",
    };

    /// <summary>What <paramref name="model"/> does to an image sized by <paramref name="sizing"/> (null: an image
    /// that goes in as decoded, e.g. a probe image), with <paramref name="warnings"/> after the model's own.</summary>
    public static InputPreprocessing For(ModelSession model, ImageFolderOptions? sizing, IEnumerable<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var input = model.Input;
        string description = Path.GetFileName(ModelDescriptionFile.PathFor(model.CheckpointPath));
        string sized = sizing is null || sizing.IsEmpty ? "" : sizing.ToString().Replace($" ({input.Resampling.Name()})", "", StringComparison.Ordinal) + ", then ";
        string normalisation = model.MeanSource == model.StdSource
            ? $"mean {Numbers(input.Mean)} and std {Numbers(input.Std)}: {Origin(model.MeanSource, description, "mean and std")}"
            : $"mean {Numbers(input.Mean)} ({Origin(model.MeanSource, description, "mean")}) and std {Numbers(input.Std)} ({Origin(model.StdSource, description, "std")})";
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"{sized}resized to {input.Height}x{input.Width} when that is not their size ({input.Resampling.Name()}, as PIL does); {normalisation}");

        var all = new List<string>(model.LoadWarnings);
        if (model.MeanSource == NormalisationSource.ImageNetGray || model.StdSource == NormalisationSource.ImageNetGray)
            all.Add($"This 1-channel model is normalised with mean {Numbers(input.Mean)} and std {Numbers(input.Std)}, ImageNet's averaged " +
                    "over its three channels, because none were given: if it was trained with others (MNIST's are 0.1307 and 0.3081), " +
                    $"give them (--mean/--std, or \"mean\"/\"std\" in {description}).");
        if (warnings is not null) all.AddRange(warnings);
        return new InputPreprocessing(summary, input.Mean, input.Std, model.MeanSource, model.StdSource, input.Resampling, all);
    }

    static string Origin(NormalisationSource source, string description, string what) => source switch
    {
        NormalisationSource.Options => "as given",
        NormalisationSource.Description => $"from {description}",
        NormalisationSource.ImageNet => $"ImageNet's (the default {what})",
        _ => $"ImageNet's averaged for a 1-channel model (the default {what})",
    };

    static string Numbers(float[] values) => string.Join(",", values.Select(v => v.ToString("0.####", CultureInfo.InvariantCulture)));
}
