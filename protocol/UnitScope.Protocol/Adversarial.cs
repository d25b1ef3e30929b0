using System.Text.Json;

namespace UnitScope.Protocol;

// Adversarial unit analysis (seed 000; Bau et al., PNAS 2020): an image attacked by FGSM or PGD, and the units of a layer
// the attack moved most, against the units that matter most for the source and the target class.

/// <summary>
/// <c>unitscope/attack</c>: attacks one image and compares a layer's units before and after. Runs in the background with
/// work-done progress (attack steps, unit changes, and the rankings when an evaluation set is named) and cancellation;
/// the rankings are cached (the CLI's <c>rank</c> and <c>attack</c> share them). Errors name the parameter.
/// </summary>
/// <param name="Method">"fgsm" or "pgd" (default).</param>
/// <param name="Epsilon">L∞ bound in pixel space (1 = white); default 2/255; at least 1/255.</param>
/// <param name="Steps">PGD's steps; default 10.</param>
/// <param name="StepSize">PGD's step in pixel space; default 2.5 ε / steps.</param>
/// <param name="TargetClass">A model class (name or index) to push the image towards; default: untargeted.</param>
/// <param name="TrueClass">The image's class (name or index), what an untargeted attack moves away from; default: the prediction.</param>
/// <param name="Top">How many top changed units are compared with each class's top units; default 10.</param>
/// <param name="MapUnits">How many of the most changed units come with their maps before and after; default 4.</param>
/// <param name="EvaluationSet">"probe" or an ImageFolder path whose class rankings the changed units are compared with; default none.</param>
public sealed record AttackParams(
    string ModelId,
    string Layer,
    string? ImagePath = null,
    string? ImageBase64 = null,
    string? Method = null,
    double? Epsilon = null,
    int? Steps = null,
    double? StepSize = null,
    bool RandomStart = false,
    int? Seed = null,
    string? TargetClass = null,
    string? TrueClass = null,
    int? Top = null,
    int? MapUnits = null,
    string? EvaluationSet = null,
    JsonElement? WorkDoneToken = null);

/// <summary>A class and the model's probability of it.</summary>
public sealed record AttackClass(int Index, string Name, double Probability);

/// <summary>One unit's mean activation (its map averaged) on the clean and the attacked image; for the most changed ones,
/// their maps before and after as heatmap PNGs on one shared scale (base64).</summary>
public sealed record AttackUnitChange(int Unit, double CleanMean, double AttackedMean, double Change, double MeanAbsoluteChange,
    string? CleanMapPng = null, string? AttackedMapPng = null);

/// <summary>The top K changed units against a class's top K units (each removed alone, by the drop in the class's
/// log-probability); ExpectedByChance = K² / units.</summary>
public sealed record AttackOverlap(string Role, int ClassIndex, string ClassName, int K, IReadOnlyList<int> ChangedUnits,
    IReadOnlyList<int> ImportantUnits, IReadOnlyList<int> Shared, double ExpectedByChance);

/// <summary>
/// The attack and its units. Images are PNGs (base64) at the model's input size: the clean image, the attacked one
/// (every channel value within EpsilonLevels of the clean one), and the perturbation amplified so ε reaches black or white.
/// </summary>
public sealed record AttackResult(
    string Layer,
    string Method,
    double Epsilon,
    int EpsilonLevels,
    int Steps,
    double StepSize,
    int? TargetClass,
    int SourceClass,
    AttackClass CleanPrediction,
    AttackClass AttackedPrediction,
    double CleanSourceProbability,
    double AttackedSourceProbability,
    bool Succeeded,
    int MaxChange,
    string CleanPng,
    string AttackedPng,
    string PerturbationPng,
    int Width,
    int Height,
    IReadOnlyList<AttackUnitChange> Units,
    IReadOnlyList<AttackOverlap> Overlaps);
