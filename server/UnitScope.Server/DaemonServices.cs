using UnitScope.Server.Adversarial;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Evolution;
using UnitScope.Server.Graph;
using UnitScope.Server.Gan;
using UnitScope.Server.Images;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;
using UnitScope.Server.Seeing;
using UnitScope.Server.Visualization;

namespace UnitScope.Server;

/// <summary>
/// What every connection shares: the loaded models, the request queue that orders mutations
/// against reads, the per-device gates, the engine seams and the log.
/// </summary>
internal sealed class DaemonServices(
    DaemonLog log, IModelLoader loader, IImageCodec images, IOverlayRenderer overlay, IDissectionEngine? dissection = null,
    IAnalysisEngine? analysis = null, ISeeingEngine? seeing = null,
    IVisualizationEngine? visualization = null, IGraphEngine? graph = null, IAdversarialEngine? adversarial = null,
    IEvolutionEngine? evolution = null, IGanEngine? gan = null) : IDisposable
{
    public DaemonLog Log { get; } = log;
    public IModelLoader Loader { get; } = loader;
    public IImageCodec Images { get; } = images;
    public IOverlayRenderer Overlay { get; } = overlay;
    public IDissectionEngine Dissection { get; } = dissection ?? new UnavailableDissectionEngine();
    /// <summary>Occlusion and ablation.</summary>
    public IAnalysisEngine Analysis { get; } = analysis ?? new UnavailableAnalysisEngine();
    /// <summary>What a unit sees: unit galleries.</summary>
    public ISeeingEngine Seeing { get; } = seeing ?? new UnavailableSeeingEngine();
    /// <summary>Activation maximisation and the hypothesis test, invariance and correspondence.</summary>
    public IVisualizationEngine Visualization { get; } = visualization ?? new UnavailableVisualizationEngine();
    /// <summary>The explanatory graph.</summary>
    public IGraphEngine Graph { get; } = graph ?? new UnavailableGraphEngine();
    /// <summary>Adversarial attacks and the units they change.</summary>
    public IAdversarialEngine Adversarial { get; } = adversarial ?? new UnavailableAdversarialEngine();
    /// <summary>How training changed a model: checkpoints compared.</summary>
    public IEvolutionEngine Evolution { get; } = evolution ?? new UnavailableEvolutionEngine();
    /// <summary>GAN dissection and editing.</summary>
    public IGanEngine Gan { get; } = gan ?? new UnavailableGanEngine();
    public ModelRegistry Models { get; } = new();
    public RequestScheduler Scheduler { get; } = new();
    public DeviceGates Devices { get; } = new();
    /// <summary>Layers being dissected now (hovers say so).</summary>
    public RunningDissections RunningDissections { get; } = new();
    /// <summary>The last checkpoint comparison (hovers of its layers show their CKA and label changes).</summary>
    public LastComparison LastComparison { get; } = new();
    /// <summary>Background summaries of followed training runs (started on first use).</summary>
    public RunFollower Follower
    {
        get { lock (_followerLock) return _follower ??= new RunFollower(this); }
    }
    private readonly Lock _followerLock = new();
    private RunFollower? _follower;

    public static DaemonServices CreateDefault(DaemonLog log)
    {
        var dissection = new EngineDissection(log);
        return new(log, new EngineModelLoader(), new EngineImageCodec(), new SkiaOverlayRenderer(), dissection, new EngineAnalysis(log, dissection),
            new EngineSeeing(log, dissection), new EngineVisualization(log), new EngineGraph(log, dissection), new EngineAdversarial(log),
            new EngineEvolution(log, dissection), new EngineGan(log));
    }

    public void Dispose()
    {
        lock (_followerLock) _follower?.Dispose();
        Models.Dispose();
    }
}
