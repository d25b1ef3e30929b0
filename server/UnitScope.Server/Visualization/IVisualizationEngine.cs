using UnitScope.Engine;
using UnitScope.Engine.Imaging;
using UnitScope.Server.Analysis;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Visualization;

/// <summary>Activation maximisation's parameters, checked (<see cref="VisualizationChecks.Maximization"/>).</summary>
internal sealed record MaximizationSettings(
    string Layer,
    int Unit,
    P.MaximizationObjective Objective,
    int Seed,
    int Rounds,
    int Steps,
    double Upscale,
    double LearningRate,
    double Blur,
    int Jitter);

/// <summary>
/// What the daemon needs of activation maximisation, the hypothesis test, invariance and correspondence, behind an
/// interface so handler tests run without TorchSharp (as <see cref="IAnalysisEngine"/>). Results come as protocol
/// records with their PNGs rendered. Methods that run the model are called holding the device gate and report
/// progress between steps or batches (where the reporter may hand the device over); each honours its token there.
/// None leaves the model changed: gradients are taken with respect to the image only.
/// </summary>
internal interface IVisualizationEngine
{
    /// <summary>
    /// The optimised image for the unit and the hypothesis test on it; cached. <paramref name="preview"/> gets the image at
    /// the end of each round while it is computed. With <paramref name="cachedOnly"/>, null unless the result is cached
    /// (and nothing runs).
    /// </summary>
    P.VisualizeResult? Visualize(IModel model, MaximizationSettings settings, bool cachedOnly, Action<P.VisualizePreview>? preview,
        IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>The layer's mean activation per unit on <paramref name="image"/> (sized for the model) and the unit's rank, with the chart.</summary>
    P.HypothesisTestResult HypothesisTest(IModel model, RgbImage image, string imageName, string layer, int unit);

    /// <summary>Checks invariance's parameters against the model and the images (each sized for it); runs nothing.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, InvalidArgument naming the sweep or parameter.</exception>
    void CheckInvariance(IModel model, IReadOnlyList<RgbImage> images, InvarianceSettings settings);

    /// <summary>Figure 5 for the images (each sized for the model); cached.</summary>
    P.InvarianceResult Invariance(IModel model, IReadOnlyList<RgbImage> images, IReadOnlyList<string> names, InvarianceSettings settings,
        IProgress<AnalysisProgress>? progress, CancellationToken ct);

    /// <summary>Reads the boxes file and checks it with the parameters against the model; runs nothing.</summary>
    /// <exception cref="UnitScopeException">FileNotFound, BadImage, UnknownLayer, InvalidArgument (a box outside its image, …).</exception>
    CorrespondenceSet OpenCorrespondence(IModel model, string boxesPath, CorrespondenceSettings settings);

    /// <summary>Table 1 for the set; cached.</summary>
    P.CorrespondenceResult Correspondence(IModel model, CorrespondenceSet set, CorrespondenceSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct);
}

/// <summary>Invariance's parameters as given (null: the default).</summary>
internal sealed record InvarianceSettings(
    IReadOnlyList<string>? Layers,
    IReadOnlyList<int>? Translations,
    P.TranslationAxis Axis,
    IReadOnlyList<double>? Rotations,
    IReadOnlyList<double>? Scales,
    int? TrueClass,
    int BatchSize);

/// <summary>Correspondence's parameters as given (null: the default).</summary>
internal sealed record CorrespondenceSettings(
    IReadOnlyList<string>? Layers,
    int RandomDraws,
    int Seed,
    IReadOnlyList<float>? Fill,
    int BatchSize);

/// <summary>An opened boxes file, as handlers see it (the engine keeps the images behind it).</summary>
internal abstract class CorrespondenceSet
{
    public abstract int ImageCount { get; }
}

/// <summary>Stands in until the engine's visualisations are wired: every run refused.</summary>
internal sealed class UnavailableVisualizationEngine : IVisualizationEngine
{
    private static UnitScopeException NotAvailable() =>
        new(EngineErrorKind.NativeRuntime, "Activation maximisation, invariance and correspondence are not available in this build of the daemon.");

    public P.VisualizeResult? Visualize(IModel model, MaximizationSettings settings, bool cachedOnly, Action<P.VisualizePreview>? preview,
        IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();

    public P.HypothesisTestResult HypothesisTest(IModel model, RgbImage image, string imageName, string layer, int unit) => throw NotAvailable();

    public void CheckInvariance(IModel model, IReadOnlyList<RgbImage> images, InvarianceSettings settings) => throw NotAvailable();

    public P.InvarianceResult Invariance(IModel model, IReadOnlyList<RgbImage> images, IReadOnlyList<string> names, InvarianceSettings settings,
        IProgress<AnalysisProgress>? progress, CancellationToken ct) => throw NotAvailable();

    public CorrespondenceSet OpenCorrespondence(IModel model, string boxesPath, CorrespondenceSettings settings) => throw NotAvailable();

    public P.CorrespondenceResult Correspondence(IModel model, CorrespondenceSet set, CorrespondenceSettings settings, IProgress<AnalysisProgress>? progress,
        CancellationToken ct) => throw NotAvailable();
}
