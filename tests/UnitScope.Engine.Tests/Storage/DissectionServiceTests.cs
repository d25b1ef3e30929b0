using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Engine.Tests.Models;
using static UnitScope.Engine.Tests.Storage.StoreSamples;

namespace UnitScope.Engine.Tests.Storage;

public sealed class DissectionServiceTests : IDisposable
{
    static readonly Lazy<ModelSession> Session = new(() =>
        ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { InputHeight = 32, InputWidth = 32, Device = "cpu" }));

    readonly TempFolder _cache = new();
    readonly DissectionStore _store;
    readonly List<IReadOnlyList<string>> _runs = [];
    readonly EmptyDataset _data = new();

    public DissectionServiceTests() => _store = new DissectionStore(_cache.Path);

    public void Dispose() => _cache.Dispose();

    static ModelSession Model => Session.Value;

    /// <summary>A runner that makes up a result per layer (ImageCount = the options' MaxImages or 10) and reports each as completed.</summary>
    IReadOnlyList<LayerDissection> Fake(ModelSession session, ISegmentationDataset data, IReadOnlyList<string> layers,
        DissectionOptions options, IProgress<DissectionProgress>? progress, CancellationToken ct)
    {
        _runs.Add(layers);
        var results = new List<LayerDissection>();
        foreach (string layer in layers)
        {
            var result = Layer(layer, session.CheckpointHash, data.ContentHash, options) with { ImageCount = options.MaxImages ?? 10 };
            progress?.Report(new DissectionProgress(AnalysisPhase.Iou, 10, 10, result) { Layer = layer });
            results.Add(result);
        }
        return results;
    }

    DissectionService Service(DissectionRunner? runner = null, Action<string>? log = null) => new(_store, runner ?? Fake, log);

    [Fact]
    public void First_call_computes_and_stores_second_call_reads_the_store()
    {
        var first = Service().Dissect(Model, _data, ["conv2", "conv3"]);
        _runs.Should().ContainSingle().Which.Should().Equal("conv2", "conv3");
        first.Select(l => l.Layer).Should().Equal("conv2", "conv3");

        var progress = new List<DissectionProgress>();
        var second = Service().Dissect(Model, _data, ["conv3", "conv2"], progress: new SyncProgress<DissectionProgress>(progress.Add));
        _runs.Should().HaveCount(1, because: "nothing was missing");
        second.Select(l => l.Layer).Should().Equal("conv3", "conv2");
        second[1].Should().BeEquivalentTo(first[0], o => o.ComparingByMembers<LayerDissection>());
        progress.Select(p => (p.Phase, p.CompletedLayer?.Layer)).Should().Equal(
            (AnalysisPhase.Cached, "conv3"), (AnalysisPhase.Cached, "conv2"));
    }

    [Fact]
    public void A_stored_result_that_left_images_out_is_computed_again_once_one_of_them_can_be_read()
    {
        DissectionRunner skipping = (session, data, layers, options, progress, ct) =>
        {
            _runs.Add(layers);
            var result = Layer(layers[0], session.CheckpointHash, data.ContentHash, options) with
            {
                SkippedImages = [new SkippedImage(3, "probe image 3", "image 3 is not there")],
            };
            progress?.Report(new DissectionProgress(AnalysisPhase.Iou, 10, 10, result) { Layer = layers[0] });
            return [result];
        };
        Service(skipping).Dissect(Model, _data, ["conv2"]);

        Service(skipping).Dissect(Model, _data, ["conv2"]).Single().SkippedImages.Should().ContainSingle();
        _runs.Should().HaveCount(1, "image 3 still cannot be read: the stored result stands");

        _data.Readable.Add(3);
        Service().Dissect(Model, _data, ["conv2"]).Single().SkippedImages.Should().BeEmpty();
        _runs.Should().HaveCount(2, "image 3 was mended, so the result that left it out is stale");
    }

    [Fact]
    public void Only_the_missing_layers_are_computed()
    {
        Service().Dissect(Model, _data, ["conv2"]);
        var both = Service().Dissect(Model, _data, ["conv1", "conv2", "conv3", "conv1"]);
        _runs.Should().HaveCount(2);
        _runs[1].Should().Equal("conv1", "conv3");
        both.Select(l => l.Layer).Should().Equal("conv1", "conv2", "conv3");
        _store.ListFor(Model.CheckpointHash).Should().HaveCount(3);
    }

    [Fact]
    public void A_layer_is_stored_when_reported_complete_so_a_cancelled_run_keeps_it()
    {
        using var cancel = new CancellationTokenSource();
        DissectionRunner stopsAfterFirst = (session, data, layers, options, progress, ct) =>
        {
            var done = Layer(layers[0], session.CheckpointHash, data.ContentHash, options);
            progress!.Report(new DissectionProgress(AnalysisPhase.Iou, 10, 10, done));
            cancel.Cancel();
            ct.ThrowIfCancellationRequested();
            return [];
        };
        var act = () => Service(stopsAfterFirst).Dissect(Model, _data, ["conv2", "conv3"], ct: cancel.Token);
        act.Should().Throw<OperationCanceledException>();

        _store.ListFor(Model.CheckpointHash).Select(l => l.Layer).Should().Equal("conv2");
        Service().Dissect(Model, _data, ["conv2", "conv3"]);
        _runs.Should().ContainSingle().Which.Should().Equal("conv3");
    }

    [Fact]
    public void An_unknown_layer_fails_before_any_work()
    {
        var act = () => Service().Dissect(Model, _data, ["conv2", "features.99"]);
        act.Should().Throw<UnitScopeException>().Which.Kind.Should().Be(EngineErrorKind.UnknownLayer);
        _runs.Should().BeEmpty();
    }

    [Fact]
    public void Batch_size_and_a_max_images_of_at_least_the_dataset_reuse_the_stored_result()
    {
        Service().Dissect(Model, _data, ["conv2"], new DissectionOptions { BatchSize = 4 });
        Service().Dissect(Model, _data, ["conv2"], new DissectionOptions { BatchSize = 64, MaxImages = _data.Count });
        Service().Dissect(Model, _data, ["conv2"], new DissectionOptions { MaxImages = _data.Count + 100 });
        _runs.Should().HaveCount(1);
        Service().Dissect(Model, _data, ["conv2"], new DissectionOptions { MaxImages = _data.Count - 1 });
        _runs.Should().HaveCount(2, because: "fewer images is another result");
    }

    [Fact]
    public void A_result_that_does_not_name_the_request_is_stored_under_the_request()
    {
        DissectionRunner sloppy = (session, data, layers, options, progress, ct) =>
            [.. layers.Select(l => Layer(l, session.CheckpointHash.ToUpperInvariant(), data.ContentHash, options with { MaxImages = data.Count }))];
        Service(sloppy).Dissect(Model, _data, ["conv2"]);
        _store.TryGet(new DissectionKey(Model.CheckpointHash, "conv2", _data.ContentHash, new DissectionOptions()), out _).Should().BeTrue();
    }

    public static TheoryData<DissectionOptions> BadOptions => new()
    {
        new DissectionOptions { Quantile = 0 },
        new DissectionOptions { Quantile = 1 },
        new DissectionOptions { Quantile = double.NaN },
        new DissectionOptions { IouThreshold = -0.1 },
        new DissectionOptions { TopImages = 0 },
        new DissectionOptions { BatchSize = 0 },
        new DissectionOptions { MaxImages = 0 },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_options_are_an_invalid_argument(DissectionOptions options)
    {
        var act = () => Service().Dissect(Model, _data, ["conv2"], options);
        act.Should().Throw<UnitScopeException>().Which.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        _runs.Should().BeEmpty();
    }

    [Fact]
    public void When_the_store_cannot_be_written_the_results_are_still_returned_and_the_failure_logged()
    {
        string blocked = Path.Combine(_cache.Path, "file");
        File.WriteAllText(blocked, "not a folder");
        var logged = new List<string>();
        var service = new DissectionService(new DissectionStore(blocked), Fake, logged.Add);
        service.Dissect(Model, _data, ["conv2"]).Should().ContainSingle();
        logged.Should().ContainSingle().Which.Should().Contain("conv2");
    }

    [Fact]
    public void With_the_real_dissector_a_second_call_returns_the_stored_result()
    {
        var broden = BrodenDataset.Open(Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "broden_mini"));
        var service = new DissectionService(_store);
        var first = service.Dissect(Model, broden, ["conv2"], new DissectionOptions { TopImages = 2 });
        first[0].Units.Should().HaveCount(16);
        first[0].CheckpointHash.Should().Be(Model.CheckpointHash);
        first[0].DatasetHash.Should().Be(broden.ContentHash);

        var progress = new List<DissectionProgress>();
        var second = service.Dissect(Model, broden, ["conv2"], new DissectionOptions { TopImages = 2 }, new SyncProgress<DissectionProgress>(progress.Add));
        progress.Should().ContainSingle().Which.Phase.Should().Be(AnalysisPhase.Cached);
        second[0].Should().BeEquivalentTo(first[0], o => o.ComparingByMembers<LayerDissection>().Excluding(m => m.Path.EndsWith("TopMasks")));
        first[0].Units.Should().OnlyContain(u => u.TopMasks!.Count == u.TopImages.Count, "a computed result carries its top images' masks");
        second[0].Units.Should().OnlyContain(u => u.TopMasks == null, "the store keeps no masks");
    }

    /// <summary>Twenty images the fake runner never looks at.</summary>
    /// <summary>Twenty images, none readable but those in <see cref="Readable"/>.</summary>
    sealed class EmptyDataset : ISegmentationDataset
    {
        public HashSet<int> Readable { get; } = [];

        public string Root => "/nowhere";
        public string ContentHash => Dataset;
        public IReadOnlyList<string> Categories { get; } = ["color"];
        public IReadOnlyList<Concept> Concepts { get; } = [new(1, "red", "color")];
        public int MaxConceptId => 1;
        public int Count => 20;

        public ProbeSample Load(int index) => Readable.Contains(index)
            ? new ProbeSample(index, $"{index}.png", new RgbImage(4, 4, 3, new byte[48]), 4, 4,
                new Dictionary<string, IReadOnlyList<int[]>>(), new Dictionary<string, IReadOnlyList<int>>())
            : throw new UnitScopeException(EngineErrorKind.FileNotFound, $"image {index} is not there");
    }
}
