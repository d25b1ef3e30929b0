using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Models.Architectures;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Demo;

/// <summary>
/// The demo model: a VGG-11-BN (torchvision's structure and names, reduced width) trained in-process
/// to classify the probe set's scenes, so its units have real concepts to find. Trained once per
/// (probe set, options) and cached as a safetensors checkpoint with a class-name file beside it.
/// </summary>
public static class DemoModel
{
    public const string Architecture = "vgg11_bn";
    const string SceneCategory = "scene";

    /// <summary>The chance of mirroring a training image, held (see <see cref="Scalars"/>).</summary>
    static readonly TorchSharp.Scalar Half = 0.5;

    /// <summary>The cached checkpoint's path, training it first when the cache lacks it.</summary>
    public static string EnsureTrained(ISegmentationDataset probe, string cacheDirectory, DemoTrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        string path = CheckpointPath(probe, cacheDirectory, options, trained: true);
        if (File.Exists(path))
            return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var (images, labels, classNames) = LoadScenes(probe);
        using var model = NewModel(options, probe, classNames.Count);
        Train(model, images, labels, options, progress, ct);
        Save(model, path, classNames, probe, options);
        return path;
    }

    /// <summary>
    /// A training run of the demo model as a folder of checkpoints, one per epoch (epoch_00 is the seeded initial
    /// network, epoch_06 the trained one; each with its epoch in the safetensors metadata), for looking at how units
    /// evolve. Trained once into the cache (the same training as <see cref="EnsureTrained"/>, whose checkpoint it also
    /// writes); returns the checkpoints in epoch order.
    /// </summary>
    public static IReadOnlyList<string> EnsureTrainedRun(ISegmentationDataset probe, string cacheDirectory, DemoTrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        string final = CheckpointPath(probe, cacheDirectory, options, trained: true);
        string folder = Path.ChangeExtension(final, null) + "-epochs";
        var paths = Enumerable.Range(0, options.Epochs + 1).Select(e => Path.Combine(folder, $"epoch_{e:D2}.safetensors")).ToList();
        if (paths.All(File.Exists) && File.Exists(final))
            return paths;
        Directory.CreateDirectory(folder);
        var (images, labels, classNames) = LoadScenes(probe);
        using var model = NewModel(options, probe, classNames.Count);
        Save(model, paths[0], classNames, probe, options, epoch: 0);
        Train(model, images, labels, options, progress, ct, epoch =>
        {
            Save(model, paths[epoch], classNames, probe, options, epoch);
        });
        Save(model, final, classNames, probe, options);
        return paths;
    }

    /// <summary>
    /// The same network as the demo model, with its seeded initial weights and no training: the
    /// control that shows dissection finds concepts because training put them there.
    /// </summary>
    public static string EnsureUntrained(ISegmentationDataset probe, string cacheDirectory, DemoTrainingOptions options)
    {
        string path = CheckpointPath(probe, cacheDirectory, options, trained: false);
        if (File.Exists(path))
            return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var classNames = SceneClasses(probe);
        using var model = NewModel(options, probe, classNames.Count);
        Save(model, path, classNames, probe, options);
        return path;
    }

    /// <summary>The input the demo model takes: the probe set's image size, ImageNet normalisation.</summary>
    public static ModelOptions ModelOptionsFor(ISegmentationDataset probe, string device = "auto")
    {
        var first = probe.Load(0).Image;
        return new ModelOptions { Architecture = Architecture, InputHeight = first.Height, InputWidth = first.Width, Device = device };
    }

    /// <summary>The layers the main job dissects: each conv block's output after its ReLU.</summary>
    public static IReadOnlyList<string> DissectedLayers(ModelSession session) =>
        [.. session.Layers.Where(l => l.Kind == "ReLU" && l.OutputShape.Count == 3 && l.Name.StartsWith("features.", StringComparison.Ordinal)).Select(l => l.Name)];

    static string CheckpointPath(ISegmentationDataset probe, string cacheDirectory, DemoTrainingOptions options, bool trained)
    {
        string key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            probe.ContentHash + "\n" + JsonSerializer.Serialize(options))))[..16];
        return Path.Combine(cacheDirectory, "demo", $"{Architecture}-probe-{key}{(trained ? "" : "-untrained")}.safetensors");
    }

    static Vgg NewModel(DemoTrainingOptions options, ISegmentationDataset probe, int classes)
    {
        TorchRuntime.EnsureLoaded();
        torch.manual_seed(options.Seed);
        int[] layout = [.. Vgg.Layouts["vgg11"].Select(w => w == Vgg.Pool ? Vgg.Pool : w / options.WidthDivisor)];
        var model = new Vgg(new VggConfig(3, layout, BatchNorm: true, options.Hidden, classes));
        return model;
    }

    static List<string> SceneClasses(ISegmentationDataset probe)
    {
        var scenes = probe.Concepts.Where(c => c.Category == SceneCategory).Select(c => c.Name).ToList();
        if (scenes.Count < 2)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The probe set in {probe.Root} has {scenes.Count} scene labels; the demo model needs at least 2 to learn from.");
        return scenes;
    }

    static (RgbImage[] Images, long[] Labels, List<string> ClassNames) LoadScenes(ISegmentationDataset probe)
    {
        var classNames = SceneClasses(probe);
        var classOf = probe.Concepts.Where(c => c.Category == SceneCategory)
            .Select((c, i) => (c.Id, i)).ToDictionary(p => p.Id, p => (long)p.i);
        var images = new RgbImage[probe.Count];
        var labels = new long[probe.Count];
        Parallel.For(0, probe.Count, ParallelWork.Options(), i =>
        {
            var sample = probe.Load(i);
            images[i] = sample.Image;
            labels[i] = sample.ImageLabels.TryGetValue(SceneCategory, out var scene) && scene.Count > 0 && classOf.TryGetValue(scene[0], out long k)
                ? k
                : throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Probe image {sample.ImagePath} has no scene label.");
        });
        return (images, labels, classNames);
    }

    /// <param name="afterEpoch">Called with the epoch (1, 2, …) after each, the model in training mode.</param>
    static void Train(Vgg model, RgbImage[] images, long[] labels, DemoTrainingOptions options,
        IProgress<TrainingProgress>? progress, CancellationToken ct, Action<int>? afterEpoch = null)
    {
        var spec = new InputSpec(3, images[0].Height, images[0].Width, InputSpec.ImageNetMean, InputSpec.ImageNetStd);
        int validation = (int)(images.Length * options.ValidationFraction);
        int training = images.Length - validation;
        int stepsPerEpoch = (training + options.BatchSize - 1) / options.BatchSize;
        using var optimizer = new MomentumSgd(model.parameters(), options.LearningRate, momentum: 0.9, weightDecay: 5e-4);
        int steps = options.Epochs * stepsPerEpoch, step = 0;
        var shuffle = new Random(options.Seed);
        var order = Enumerable.Range(0, training).ToArray();

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.train();
            shuffle.Shuffle(order);
            using (var counts = BatchNormCounts.TakeOff(model))
            {
                for (int start = 0; start < training; start += options.BatchSize)
                {
                    ct.ThrowIfCancellationRequested();
                    using var scope = torch.NewDisposeScope();
                    int[] batch = order[start..Math.Min(training, start + options.BatchSize)];
                    var x = ImageTensor.ToBatch([.. batch.Select(i => images[i])], spec);
                    // Mirror a random half: scenes and objects keep their meaning under horizontal flips.
                    var flip = torch.rand(batch.Length).lt(Half).view(-1, 1, 1, 1);
                    x = torch.where(flip, x.flip(3), x);
                    var y = torch.tensor([.. batch.Select(i => labels[i])]);
                    optimizer.ZeroGrad();
                    var loss = nn.functional.cross_entropy(model.call(x), y);
                    loss.backward();
                    optimizer.Step();
                    counts.Step();
                    optimizer.LearningRate = MomentumSgd.Cosine(options.LearningRate, ++step, steps);
                    progress?.Report(new TrainingProgress(epoch, options.Epochs, Math.Min(training, start + options.BatchSize), training, loss.item<float>()));
                }
            }
            double accuracy = Evaluate(model, images, labels, training, spec, options.BatchSize);
            progress?.Report(new TrainingProgress(epoch, options.Epochs, training, training, double.NaN, accuracy));
            afterEpoch?.Invoke(epoch);
        }
        model.eval();
    }

    /// <summary>Accuracy on the held-out images [from, end).</summary>
    static double Evaluate(Vgg model, RgbImage[] images, long[] labels, int from, InputSpec spec, int batchSize)
    {
        if (from >= images.Length) return double.NaN;
        model.eval();
        using var noGrad = torch.no_grad();
        int correct = 0;
        for (int start = from; start < images.Length; start += batchSize)
        {
            using var scope = torch.NewDisposeScope();
            int end = Math.Min(images.Length, start + batchSize);
            var predicted = model.call(ImageTensor.ToBatch(images[start..end], spec)).argmax(1).data<long>().ToArray();
            correct += predicted.Where((p, i) => p == labels[start + i]).Count();
        }
        return (double)correct / (images.Length - from);
    }

    static void Save(Vgg model, string path, List<string> classNames, ISegmentationDataset probe, DemoTrainingOptions options, int? epoch = null)
    {
        model.eval();
        var metadata = new Dictionary<string, string>
        {
            ["arch"] = Architecture,
            ["probe_set"] = probe.ContentHash,
            ["training"] = JsonSerializer.Serialize(options),
        };
        if (epoch is { } e) metadata["epoch"] = e.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Class names first: a reader that sees the checkpoint must also see its names.
        File.WriteAllLines(Path.ChangeExtension(path, ".classes.txt"), classNames);
        SafetensorsWriter.Write(path, model.state_dict(), metadata);
    }
}
