using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Demo;

namespace UnitScope.Engine.Tests.Gan;

/// <summary>
/// The GAN demo's segmenter and generator trained on the 32 px probe scenes (a few minutes on two cores), shared by
/// the tests that need a generator and segmenter that learned something. The cache is a fresh temporary folder, or
/// $UNITSCOPE_TEST_CACHE when set (kept, so repeated runs skip training; `unitscope gan-demo --cache` fills the same).
/// </summary>
public sealed class TrainedGanDemo : IDisposable
{
    readonly string _cache;
    readonly bool _ownCache;

    public TrainedGanDemo()
    {
        string? shared = Environment.GetEnvironmentVariable("UNITSCOPE_TEST_CACHE");
        _ownCache = string.IsNullOrEmpty(shared);
        _cache = _ownCache ? Path.Combine(Path.GetTempPath(), $"unitscope-gan-test-{Guid.NewGuid():N}") : shared!;
        SegmenterPath = DemoSegmenter.EnsureTrained(_cache, Scenes, new SegmenterTrainingOptions());
        GeneratorPath = DemoGenerator.EnsureTrained(_cache, Scenes, new GeneratorTrainingOptions());
        Quality = DemoSegmenter.ReadQuality(SegmenterPath)!;
        Segmenter = ModelSegmenter.Load(SegmenterPath, "cpu");
        Generator = ModelSession.Load(GeneratorPath, new ModelOptions { Device = "cpu" });
    }

    public GanDemoScenes Scenes { get; } = new();
    public string SegmenterPath { get; }
    public string GeneratorPath { get; }
    public SegmenterQuality Quality { get; }
    public ModelSegmenter Segmenter { get; }
    public ModelSession Generator { get; }

    /// <summary>The layer the tests dissect and edit: the second block's output (ReLU, 32 units of 8×8).</summary>
    public const string Layer = "main.5";

    GanDissection? _dissection;

    /// <summary><see cref="Layer"/> dissected over 600 samples (seed 1), computed once.</summary>
    public GanDissection Dissection => _dissection ??= GanDissector.Run(Generator, Segmenter, Layer, new GanDissectionOptions { Samples = 600 });

    public void Dispose()
    {
        Segmenter.Dispose();
        Generator.Dispose();
        if (_ownCache)
            try { Directory.Delete(_cache, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Alone, as the demo classifier's collection: training draws from libtorch's global generator.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainedGanDemoCollection : ICollectionFixture<TrainedGanDemo>
{
    public const string Name = "trained GAN demo";
}
