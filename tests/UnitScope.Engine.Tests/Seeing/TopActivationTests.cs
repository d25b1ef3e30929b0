using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Seeing;

public class TopActivationTests
{
    /// <summary>Every unit's k best by a stable sort of all (value, image) pairs: value descending, image ascending.</summary>
    static List<TopActivation> BruteForce(IEnumerable<TopActivation> all, int k) =>
        [.. all.Where(a => !float.IsNaN(a.Value)).OrderByDescending(a => a.Value).ThenBy(a => a.Image).Take(k)];

    [Theory]
    [InlineData(1, 7)]
    [InlineData(9, 13)]
    [InlineData(4, 1)]
    [InlineData(50, 5)]
    public void The_collector_equals_a_brute_force_sort_ties_included(int k, int batch)
    {
        var random = new Random(k * 31 + batch);
        const int units = 11, images = 97, width = 5;
        var all = Enumerable.Range(0, units).Select(_ => new List<TopActivation>()).ToArray();
        var collector = new TopKCollector(units, k);
        for (int start = 0; start < images; start += batch)
        {
            int n = Math.Min(batch, images - start);
            var maxima = new float[n * units];
            var positions = new long[n * units];
            for (int i = 0; i < n; i++)
                for (int u = 0; u < units; u++)
                {
                    // Few distinct values, so ties are everywhere; now and then a NaN.
                    float value = random.Next(20) == 0 ? float.NaN : random.Next(6) * 0.5f - 1f;
                    long position = random.Next(width * 4);
                    maxima[i * units + u] = value;
                    positions[i * units + u] = position;
                    all[u].Add(new TopActivation(start + i, (int)(position / width), (int)(position % width), value));
                }
            collector.Offer(start, n, maxima, positions, width);
        }
        var result = collector.Result();
        for (int u = 0; u < units; u++)
            result[u].Should().Equal(BruteForce(all[u], k), $"unit {u}");
    }

    /// <summary>Images of 32×32 px: noise, and flat grey ones (every unit's map is flat on them: ties between positions and images).</summary>
    internal sealed class SyntheticImagesForTests(int count) : IImageSet
    {
        public string Name => "synthetic";
        public string ContentHash => $"synthetic-{count}";
        public int Count => count;
        public string PathOf(int index) => $"image{index}.png";
        public RgbImage Load(int index)
        {
            var pixels = new byte[32 * 32 * 3];
            if (index % 4 == 3) Array.Fill(pixels, (byte)128);
            else new Random(index).NextBytes(pixels);
            return new RgbImage(32, 32, 3, pixels);
        }
    }

    [Theory]
    [InlineData("conv2", 9, 5)]
    [InlineData("relu", 4, 64)]
    public void Collecting_over_a_set_equals_sorting_every_activation(string layer, int k, int batch)
    {
        using var model = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { Device = "cpu", InputHeight = 32, InputWidth = 32 });
        var images = new SyntheticImagesForTests(23);
        var result = TopActivations.Collect(model, images, [layer], new TopActivationOptions { K = k, BatchSize = batch }).Single();

        var info = model.GetLayer(layer);
        int units = info.Units, height = info.OutputShape[1], width = info.OutputShape[2];
        var all = Enumerable.Range(0, units).Select(_ => new List<TopActivation>()).ToArray();
        for (int i = 0; i < images.Count; i++)
        {
            // One image at a time, the whole map to the CPU; the first largest position in row-major order.
            float[] map = model.ForwardBatch(ImageTensor.ToInput(images.Load(i), model.Input), [layer],
                pass => pass.Activations[layer].contiguous().data<float>().ToArray());
            for (int u = 0; u < units; u++)
            {
                int best = 0;
                for (int p = 1; p < height * width; p++)
                    if (map[u * height * width + p] > map[u * height * width + best]) best = p;
                all[u].Add(new TopActivation(i, best / width, best % width, map[u * height * width + best]));
            }
        }
        result.Units.Should().HaveCount(units);
        result.MapHeight.Should().Be(height);
        for (int u = 0; u < units; u++)
        {
            var expected = BruteForce(all[u], k);
            result.Units[u].Select(a => (a.Image, a.Y, a.X)).Should().Equal(expected.Select(a => (a.Image, a.Y, a.X)), $"unit {u}");
            result.Units[u].Select(a => a.Value).Should().Equal(expected.Select(a => a.Value), (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1, Math.Abs(b)));
        }
    }

    [Fact]
    public void A_layer_that_is_not_spatial_and_a_bad_k_are_refused_naming_them()
    {
        using var model = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { Device = "cpu" });
        var images = new SyntheticImagesForTests(3);
        var notSpatial = () => TopActivations.Collect(model, images, ["fc"]);
        notSpatial.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument).WithMessage("*'fc'*not spatial*");
        var badK = () => TopActivations.Collect(model, images, ["conv1"], new TopActivationOptions { K = 0 });
        badK.Should().Throw<UnitScopeException>().WithMessage("*k (--top)*0*");
        var unknown = () => TopActivations.Collect(model, images, ["conv9"]);
        unknown.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.UnknownLayer);
    }

    [Fact]
    public void Stored_layers_are_read_back_and_a_cancelled_pass_stores_nothing()
    {
        using var model = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { Device = "cpu", InputHeight = 32, InputWidth = 32 });
        var cache = Directory.CreateTempSubdirectory("unitscope-topk-");
        try
        {
            var store = new AnalysisStore(cache.FullName);
            var images = new SyntheticImagesForTests(10);
            var options = new TopActivationOptions { K = 3, BatchSize = 4 };
            using var cancelled = new CancellationTokenSource();
            var progress = new SyncProgress<TopActivationProgress>(p => { if (p.Done > 0) cancelled.Cancel(); });
            var cancel = () => TopActivationStore.GetOrCollect(store, model, images, ["conv1"], options, out _, progress, ct: cancelled.Token);
            cancel.Should().Throw<OperationCanceledException>();
            store.TryGet<LayerTopActivations>(AnalysisKey.TopActivations(model, images, "conv1", 3), out _).Should().BeFalse();

            var first = TopActivationStore.GetOrCollect(store, model, images, ["conv1", "conv2"], options, out var cachedFirst);
            cachedFirst.Should().BeEmpty();
            var second = TopActivationStore.GetOrCollect(store, model, images, ["conv2", "conv1"], options, out var cachedSecond);
            cachedSecond.Should().BeEquivalentTo(["conv1", "conv2"]);
            second[1].Units.Should().BeEquivalentTo(first[0].Units, o => o.WithStrictOrdering());
        }
        finally
        {
            cache.Delete(recursive: true);
        }
    }
}
