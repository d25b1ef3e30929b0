using System.Text.Json.Serialization;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Analysis.Adversarial;

/// <summary>How the perturbation is found. Written to JSON by name.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttackMethod>))]
public enum AttackMethod
{
    /// <summary>Fast gradient sign method (Goodfellow et al. 2015): one step of ε along the gradient's sign.</summary>
    Fgsm,
    /// <summary>Projected gradient descent (Madry et al. 2018): several sign steps, each projected back into the ε-ball.</summary>
    Pgd,
}

/// <summary>
/// An attack's settings. ε and the step size are in pixel space, [0, 1] per channel (ε = 8/255 changes each 8-bit
/// channel value by at most 8), whatever normalisation the model applies after; the attacked image stays within ε of
/// the clean one in L∞ and inside [0, 1].
/// </summary>
public sealed record AttackOptions
{
    public AttackMethod Method { get; init; } = AttackMethod.Pgd;

    /// <summary>The L∞ bound in pixel space; at least 1/255 (a smaller change vanishes in an 8-bit image).</summary>
    public double Epsilon { get; init; } = 2 / 255.0;

    /// <summary>PGD's step size in pixel space; null: 2.5 ε / steps (Madry et al.'s choice). FGSM's one step is ε.</summary>
    public double? StepSize { get; init; }

    /// <summary>PGD's number of steps (FGSM takes one).</summary>
    public int Steps { get; init; } = 10;

    /// <summary>PGD starts from a uniformly random point of the ε-ball (seeded by <see cref="Seed"/>) instead of the clean image.</summary>
    public bool RandomStart { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>The model's class the attack pushes every image towards (targeted); null: away from each image's source class.</summary>
    public int? TargetClass { get; init; }

    /// <summary>Images attacked together in one forward and backward pass.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>The steps actually taken.</summary>
    [JsonIgnore]
    public int EffectiveSteps => Method == AttackMethod.Fgsm ? 1 : Steps;

    /// <summary>The step actually taken, in pixel space.</summary>
    [JsonIgnore]
    public double EffectiveStepSize => Method == AttackMethod.Fgsm ? Epsilon : StepSize ?? 2.5 * Epsilon / Steps;
}

/// <summary>One image to attack: what to call it, the image, and its true class among the model's classes when known
/// (else the attack moves it away from the model's prediction on it).</summary>
public sealed record AttackInput(string Name, RgbImage Image, int? TrueClass = null);

/// <summary>
/// One attacked image. <see cref="Clean"/> is the image at the model's input size and channels (what the model saw);
/// <see cref="Attacked"/> the attacked one as 8-bit pixels, each channel value within <see cref="AttackResult.EpsilonLevels"/>
/// of the clean one. Predictions are the model's on those two 8-bit images.
/// </summary>
public sealed record AttackedImage(
    string Name,
    RgbImage Clean,
    RgbImage Attacked,
    /// <summary>The class the attack moves away from: the true class when known, else the clean prediction.</summary>
    int SourceClass,
    ClassScore CleanPrediction,
    ClassScore AttackedPrediction,
    /// <summary>The source class's probability on the clean and on the attacked image.</summary>
    float CleanSourceProbability,
    float AttackedSourceProbability,
    /// <summary>The target's probability on the attacked image (targeted attacks; else null).</summary>
    float? AttackedTargetProbability,
    /// <summary>Untargeted: the attacked prediction is not the source class; targeted: it is the target.</summary>
    bool Succeeded,
    /// <summary>The largest change of any channel value, in 8-bit levels (at most <see cref="AttackResult.EpsilonLevels"/>).</summary>
    int MaxChange);

/// <summary>An attack on several images, and how often it succeeded.</summary>
public sealed record AttackResult(
    string CheckpointHash,
    AttackOptions Options,
    /// <summary>ε in 8-bit levels: ⌊255 ε⌋, the bound every saved pixel keeps.</summary>
    int EpsilonLevels,
    IReadOnlyList<AttackedImage> Images)
{
    public int Succeeded => Images.Count(i => i.Succeeded);

    public double SuccessRate => Images.Count == 0 ? 0 : (double)Succeeded / Images.Count;
}

/// <summary>Progress of an attack: gradient steps taken over all images (each a forward and backward pass of a batch).</summary>
public sealed record AttackProgress(AnalysisPhase Phase, long Done, long Total);
