using UnitScope.Engine.Datasets;
using UnitScope.Engine.Demo;

namespace UnitScope.Engine.Tests.Demo;

/// <summary>
/// The demo VGG-11-BN trained on a 900-image probe set's six scenes (about a minute on two cores),
/// shared by the dissection, ablation and occlusion tests that need a model that learned something. The cache is a fresh temporary folder, or $UNITSCOPE_TEST_CACHE when set (kept,
/// so repeated runs skip training).
/// </summary>
public sealed class TrainedDemo : IDisposable
{
    readonly string _cache;
    readonly bool _ownCache;

    public TrainedDemo()
    {
        string? shared = Environment.GetEnvironmentVariable("UNITSCOPE_TEST_CACHE");
        _ownCache = string.IsNullOrEmpty(shared);
        _cache = _ownCache ? Path.Combine(Path.GetTempPath(), $"unitscope-ablation-test-{Guid.NewGuid():N}") : shared!;
        Probe = ProbeSet.EnsureBuiltIn(_cache, new ProbeSetOptions { Count = 900 });
        // The run (a checkpoint per epoch) comes from the same training, which also writes the trained checkpoint.
        Run = TrainOnceMore(() => DemoModel.EnsureTrainedRun(Probe, _cache, Training));
        Checkpoint = DemoModel.EnsureTrained(Probe, _cache, Training);
        Untrained = DemoModel.EnsureUntrained(Probe, _cache, Training);
        Session = ModelSession.Load(Checkpoint, DemoModel.ModelOptionsFor(Probe, "cpu"));
        Scenes = EvaluationSet.FromProbe(Probe);
    }

    /// <summary>
    /// Training again (it is seeded: the same model) after a native error: TorchSharp's temporary Scalars can be freed by
    /// the finalizer inside a libtorch call (upstream dotnet/TorchSharp #1434/#1496), which once broke this fixture and
    /// with it every test of the collection. Nothing is cached from a failed training.
    /// </summary>
    static T TrainOnceMore<T>(Func<T> train)
    {
        try
        {
            return train();
        }
        catch (System.Runtime.InteropServices.ExternalException)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return train();
        }
    }

    public DemoTrainingOptions Training { get; } = new();
    public BrodenDataset Probe { get; }
    public string Checkpoint { get; }
    /// <summary>The training run: epoch_00 (the seeded initial network) to epoch_06 (the trained one), in order.</summary>
    public IReadOnlyList<string> Run { get; }
    /// <summary>The same network with its seeded initial weights: the control.</summary>
    public string Untrained { get; }
    public ModelSession Session { get; }

    /// <summary>The probe set's scene labels as an evaluation set (900 images, six classes).</summary>
    public IEvaluationSet Scenes { get; }

    /// <summary>The last conv block's output (features.27: ReLU, 64 units of 7×7).</summary>
    public const string LastBlock = "features.27";

    public void Dispose()
    {
        Session.Dispose();
        if (_ownCache)
            try { Directory.Delete(_cache, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Run apart from the other tests: training draws from libtorch's global random generator (flips), which
/// loading any model on another thread also draws from (parameter initialisation before the weights are
/// copied), so only training alone gives the same model every time (the tests' thresholds were set on it).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainedDemoCollection : ICollectionFixture<TrainedDemo>
{
    public const string Name = "trained demo model";
}
