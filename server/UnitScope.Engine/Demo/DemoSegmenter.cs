using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Models.Architectures;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Demo;

/// <summary>How well a segmenter labels held-back probe scenes, per category and over all.</summary>
/// <param name="PixelAccuracy">Per category: the fraction of pixels whose segmented concept (or none) is the true one.</param>
/// <param name="MeanIou">Per category: the mean over its concepts present in the held-back scenes of IoU(segmented, true).</param>
public sealed record SegmenterQuality(int Images, IReadOnlyDictionary<string, double> PixelAccuracy, IReadOnlyDictionary<string, double> MeanIou)
{
    /// <summary>Pixel accuracy averaged over the categories.</summary>
    public double OverallPixelAccuracy => PixelAccuracy.Values.Average();
    /// <summary>Mean IoU over every category's concepts together.</summary>
    public double OverallMeanIou { get; init; }
}

/// <summary>
/// The GAN demo's segmenter: a <see cref="SceneSegmenter"/> trained in-process on the probe scenes' pixel-exact masks
/// (every pixel category: colour, object, part, material, texture), used to label generated scenes as the seed uses a
/// pretrained scene segmenter. Cached as safetensors by (scenes, options) with its label file and its quality on the
/// held-back scenes (<c>NAME.quality.json</c>) beside it.
/// </summary>
public static class DemoSegmenter
{
    public static string EnsureTrained(string cacheDirectory, GanDemoScenes scenes, SegmenterTrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        string path = CachedPath(cacheDirectory, scenes, options);
        if (File.Exists(path))
            return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var data = GanDemoData.Load(cacheDirectory, scenes, null, ct);
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(options.Seed);
        using var model = new SceneSegmenter(new SceneSegmenterConfig(3, options.Width, data.Labels.Channels));
        Train(model, data, options, progress, ct);
        var quality = Measure(model, data, [.. Enumerable.Range(data.Training, data.Images.Length - data.Training)]);
        File.WriteAllLines(SegmenterLabels.PathFor(path), data.Labels.Lines());
        File.WriteAllText(QualityPath(path), JsonSerializer.Serialize(quality));
        SafetensorsWriter.Write(path, model.state_dict(), new Dictionary<string, string>
        {
            ["arch"] = "scenesegmenter",
            ["probe_set"] = data.Probe.ContentHash,
            ["training"] = JsonSerializer.Serialize(options),
        });
        return path;
    }

    /// <summary>Where the segmenter trained with these settings is cached (it may not be there yet).</summary>
    public static string CachedPath(string cacheDirectory, GanDemoScenes scenes, SegmenterTrainingOptions options) =>
        Path.Combine(cacheDirectory, "demo", $"segmenter-{Key(scenes, options)}.safetensors");

    /// <summary>The quality measured when <paramref name="checkpoint"/> was trained.</summary>
    public static SegmenterQuality? ReadQuality(string checkpoint) =>
        File.Exists(QualityPath(checkpoint)) ? JsonSerializer.Deserialize<SegmenterQuality>(File.ReadAllText(QualityPath(checkpoint))) : null;

    static string QualityPath(string checkpoint) => Path.ChangeExtension(checkpoint, ".quality.json");

    internal static string Key(object scenes, object options) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            JsonSerializer.Serialize(scenes) + "\n" + JsonSerializer.Serialize(options))))[..16];

    static void Train(SceneSegmenter model, GanDemoData data, SegmenterTrainingOptions options, IProgress<TrainingProgress>? progress, CancellationToken ct)
    {
        using var adam = new ModelAdam(model.parameters(), options.LearningRate);
        var shuffle = new Random(options.Seed);
        var order = Enumerable.Range(0, data.Training).ToArray();
        using var mean = tensor(InputSpec.ImageNetMean).view(1, 3, 1, 1);
        using var std = tensor(InputSpec.ImageNetStd).view(1, 3, 1, 1);
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.train();
            shuffle.Shuffle(order);
            using (var counts = BatchNormCounts.TakeOff(model))
            {
                for (int start = 0; start < data.Training; start += options.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    using var scope = torch.NewDisposeScope();
                    int[] batch = order[start..Math.Min(data.Training, start + options.BatchSize)];
                    var x = data.UnitBatch(batch).sub(mean).div(std);
                    adam.ZeroGrad();
                    var logits = model.call(x);
                    Tensor? loss = null;
                    foreach (var group in data.Labels.Groups)
                    {
                        var term = nn.functional.cross_entropy(logits.narrow(1, group.First, group.Channels), data.TargetBatch(group.Category, batch));
                        loss = loss is null ? term : loss.add(term, Scalars.One);
                    }
                    TrainingGuard.RequireFinite(loss!, epoch);
                    loss!.backward();
                    adam.Step();
                    counts.Step();
                    progress?.Report(new TrainingProgress(epoch, options.Epochs, Math.Min(data.Training, start + options.BatchSize), data.Training, loss.item<float>()));
                }
            }
        }
        model.eval();
    }

    /// <summary>Pixel accuracy and mean IoU of <paramref name="model"/> (normalised as it was trained) on <paramref name="indices"/>.</summary>
    static SegmenterQuality Measure(SceneSegmenter model, GanDemoData data, int[] indices)
    {
        model.eval();
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var mean = tensor(InputSpec.ImageNetMean).view(1, 3, 1, 1);
        var std = tensor(InputSpec.ImageNetStd).view(1, 3, 1, 1);
        var correct = new Dictionary<string, long>();
        var intersection = new Dictionary<(string, int), long>();
        var union = new Dictionary<(string, int), long>();
        long pixels = 0;
        for (int start = 0; start < indices.Length; start += 64)
        {
            int[] batch = indices[start..Math.Min(indices.Length, start + 64)];
            var logits = model.call(data.UnitBatch(batch).sub(mean).div(std));
            pixels += batch.Length * data.Side * data.Side;
            foreach (var group in data.Labels.Groups)
            {
                var predicted = logits.narrow(1, group.First, group.Channels).argmax(1).flatten().data<long>().ToArray();
                var truth = data.TargetBatch(group.Category, batch).flatten().data<long>().ToArray();
                correct[group.Category] = correct.GetValueOrDefault(group.Category) + predicted.Where((p, i) => p == truth[i]).LongCount();
                for (int channel = 1; channel < group.Channels; channel++)
                {
                    long both = 0, either = 0;
                    for (int i = 0; i < truth.Length; i++)
                    {
                        bool t = truth[i] == channel, p = predicted[i] == channel;
                        if (t && p) both++;
                        if (t || p) either++;
                    }
                    intersection[(group.Category, channel)] = intersection.GetValueOrDefault((group.Category, channel)) + both;
                    union[(group.Category, channel)] = union.GetValueOrDefault((group.Category, channel)) + either;
                }
            }
        }
        // A concept counts in the mean IoU where the held-back scenes have it (its true pixels are in the union).
        var present = union.Keys.Where(k => data.Labels.Groups.Any(g => g.Category == k.Item1)).Where(k => TruePixels(data, indices, k) > 0).ToList();
        var iouOf = present.ToDictionary(k => k, k => (double)intersection[k] / union[k]);
        return new SegmenterQuality(indices.Length,
            correct.ToDictionary(p => p.Key, p => (double)p.Value / pixels),
            data.Labels.Groups.ToDictionary(g => g.Category, g => iouOf.Where(p => p.Key.Item1 == g.Category).Select(p => p.Value).DefaultIfEmpty(0).Average()))
        {
            OverallMeanIou = iouOf.Values.DefaultIfEmpty(0).Average(),
        };
    }

    static long TruePixels(GanDemoData data, int[] indices, (string Category, int Channel) concept) =>
        indices.Sum(i => data.Targets[concept.Category][i].LongCount(t => t == concept.Channel));
}
