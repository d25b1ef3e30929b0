using UnitScope.Engine;
using UnitScope.Engine.Imaging;
using UnitScope.Protocol;
using UnitScope.Server.Models;

namespace UnitScope.Server.Analysis;

/// <summary>
/// What the daemon needs of occlusion and ablation, behind an interface so handler tests run without
/// TorchSharp (as <see cref="Dissection.IDissectionEngine"/>). Results come as protocol records with
/// their PNGs rendered; handlers add what the daemon knows (dissection labels, the set's name).
/// Every method that runs the model is called holding the device gate and reports progress between
/// batches, where the reporter may block (the device is handed to other requests there); each honours
/// its token between batches. None leaves the model changed: ablations zero units in forward hooks
/// that are removed when the pass ends, and nothing writes to a parameter.
/// </summary>
internal interface IAnalysisEngine
{
    /// <summary>The model's class names, by index ("class N" when the model has none).</summary>
    IReadOnlyList<string> ClassNames(IModel model);

    /// <summary>Opens an evaluation set (building the probe set on first use, phase "dataset"); runs no model.</summary>
    /// <exception cref="UnitScopeException">FileNotFound, InvalidArgument (not an ImageFolder, classes that match none of the model's).</exception>
    IEvaluationData OpenEvaluationSet(IModel model, EvaluationSetSpec spec, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>Occlusion maps of one image, already sized for the model (<see cref="IModel.SizeImage"/>); results are
    /// cached, keyed by that image's pixels.</summary>
    OccludeResult Occlude(IModel model, RgbImage image, OcclusionSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>Per-class accuracy before and after zeroing the units (and the random control), with the bar chart.</summary>
    AblateResult Ablate(IModel model, IEvaluationData set, AblationSettings settings, IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>
    /// Every unit of the layer zeroed alone, then the top-k vs random-k curve. <paramref name="measured"/>
    /// receives each batch of newly measured units (with the result's header filled in) as they come.
    /// </summary>
    RankUnitsResult RankUnits(IModel model, IEvaluationData set, RankSettings settings, Action<RankUnitsResult>? measured,
        IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>The unit's activations on the class's images vs the rest, with the jitter plot.</summary>
    UnitClassStatsResult UnitClassStats(IModel model, IEvaluationData set, UnitClassSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct);
}
