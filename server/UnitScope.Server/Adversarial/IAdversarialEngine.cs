using UnitScope.Engine;
using UnitScope.Engine.Imaging;
using UnitScope.Server.Analysis;
using UnitScope.Server.Models;
using P = UnitScope.Protocol;

namespace UnitScope.Server.Adversarial;

/// <summary>
/// What the daemon needs of the adversarial unit analysis, behind an interface so handler tests can run without
/// TorchSharp (as <see cref="IAnalysisEngine"/>). <see cref="Attack"/> is called holding the device gate and reports
/// progress between steps and batches, honouring its token there.
/// </summary>
internal interface IAdversarialEngine
{
    /// <summary>Attacks <paramref name="image"/> (already sized for the model) and compares the layer's units; with
    /// <paramref name="rankingSet"/> (opened by <see cref="IAnalysisEngine"/>), against the classes' rankings.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, InvalidArgument naming the parameter.</exception>
    P.AttackResult Attack(IModel model, RgbImage image, P.AttackParams request, IEvaluationData? rankingSet,
        IProgress<AnalysisProgress>? progress, CancellationToken ct);
}

/// <summary>Stands in where the engine is not wired: every run refused.</summary>
internal sealed class UnavailableAdversarialEngine : IAdversarialEngine
{
    public P.AttackResult Attack(IModel model, RgbImage image, P.AttackParams request, IEvaluationData? rankingSet,
        IProgress<AnalysisProgress>? progress, CancellationToken ct) =>
        throw new UnitScopeException(EngineErrorKind.NativeRuntime, "Adversarial attacks are not available in this build of the daemon.");
}
