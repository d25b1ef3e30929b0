using TorchSharp;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Models;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine;

/// <summary>
/// A checkpoint loaded into a model on a device: the Engine's entry point for everything that
/// runs a model. Methods are safe to call from several threads (one forward pass at a time), and
/// none of them changes the model.
/// </summary>
public sealed class ModelSession : IDisposable
{
    /// <summary>Per-channel defaults for one-channel models: the mean of ImageNet's three.</summary>
    static readonly float[] GrayMean = [0.449f], GrayStd = [0.226f];

    readonly nn.Module<Tensor, Tensor> _model;
    readonly Device _device;
    readonly object _forwardLock = new();
    readonly Dictionary<string, LayerInfo> _layersByName;

    ModelSession(nn.Module<Tensor, Tensor> model, Device device, IReadOnlyList<LayerInfo> layers)
    {
        _model = model;
        _device = device;
        Layers = layers;
        _layersByName = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
    }

    /// <exception cref="UnitScopeException">missing/corrupt/unsafe file, unknown or mismatched architecture, bad options.</exception>
    public static ModelSession Load(string checkpointPath, ModelOptions? options = null)
    {
        options ??= new ModelOptions();
        var device = TorchRuntime.ResolveDevice(options.Device);
        string path = Path.GetFullPath(checkpointPath);

        using var checkpoint = CheckpointReader.Read(path);
        var shapes = ParameterShapes.Of(checkpoint);
        string architecture = ChooseArchitecture(options.Architecture, shapes, checkpoint, path);

        var model = ModelZoo.Build(architecture, shapes);
        try
        {
            LoadWeights(model, checkpoint, architecture, shapes);
            model.to(device);
            var input = InputSpecFor(model, architecture, options);
            var (layers, outputShape) = DescribeOrExplain(model, input, device);
            int classCount = outputShape.Length == 1 ? outputShape[0] : outputShape.Aggregate(1, (a, b) => a * b);
            return new ModelSession(model, device, layers)
            {
                CheckpointPath = path,
                CheckpointHash = CheckpointReader.ComputeHash(path),
                Architecture = architecture,
                Input = input,
                ClassCount = classCount,
                ClassNames = ClassNameFile.Read(path, classCount),
                DeviceName = device.ToString(),
            };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public string CheckpointPath { get; private init; } = "";
    /// <summary>SHA-256 of the checkpoint file's bytes, lowercase hex: the model's identity in caches.</summary>
    public string CheckpointHash { get; private init; } = "";
    public string Architecture { get; private init; } = "";
    public InputSpec Input { get; private init; } = null!;
    public int ClassCount { get; private init; }
    /// <summary>From <c>NAME.classes.txt</c> beside the checkpoint when it has one name per class, else "class 0", "class 1", ….</summary>
    public IReadOnlyList<string> ClassNames { get; private init; } = [];
    /// <summary>"cpu", "cuda:0", …</summary>
    public string DeviceName { get; private init; } = "";
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <exception cref="UnitScopeException">Kind UnknownLayer, with close names in the message.</exception>
    public LayerInfo GetLayer(string name) =>
        _layersByName.TryGetValue(name, out var layer) ? layer : throw LayerCatalog.UnknownLayer(name, _layersByName.Keys);

    public Prediction Predict(RgbImage image, int top = 5)
    {
        float[] logits;
        lock (_forwardLock)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var output = _model.call(ImageTensor.ToInput(image, Input).to(_device));
            logits = output.reshape(-1).cpu().data<float>().ToArray();
        }
        float[] probabilities = Softmax(logits);
        var ranked = Enumerable.Range(0, probabilities.Length)
            .OrderByDescending(i => probabilities[i])
            .Take(Math.Clamp(top, 1, probabilities.Length))
            .Select(i => new ClassScore(i, ClassNames[i], probabilities[i]))
            .ToList();
        return new Prediction(logits, probabilities, ranked);
    }

    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange.</exception>
    public UnitMap ComputeUnitMap(RgbImage image, string layer, int unit)
    {
        var info = GetLayer(layer);
        if (unit < 0 || unit >= info.Units)
            throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                $"Unit {unit} is out of range: layer '{layer}' has {info.Units} units (0–{info.Units - 1}).");

        float[] values;
        lock (_forwardLock)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            using var capture = new ActivationCapture(_model, [layer]);
            _model.call(ImageTensor.ToInput(image, Input).to(_device));
            values = capture[layer][0, unit].contiguous().cpu().to(float32).data<float>().ToArray();
        }
        // [C, H, W] layers give an H × W map; [F] layers (Linear) give a single value.
        int height = info.OutputShape.Count >= 3 ? info.OutputShape[1] : 1;
        int width = info.OutputShape.Count >= 3 ? info.OutputShape[2] : 1;
        return new UnitMap(layer, unit, height, width, values, values.Min(), values.Max(), values.Average());
    }

    /// <summary>
    /// Runs a batch [N, C, H, W] (already preprocessed, e.g. by <see cref="ImageTensor.ToBatch"/>;
    /// on any device) through the model and hands <paramref name="consume"/> the model's output and
    /// the outputs of <paramref name="layers"/>, on the model's device. The tensors are valid only
    /// during the call: copy out what you keep. Serialised with this model's other forward passes.
    /// </summary>
    /// <exception cref="UnitScopeException">UnknownLayer.</exception>
    public T ForwardBatch<T>(Tensor batch, IReadOnlyCollection<string> layers, Func<ForwardPass, T> consume)
    {
        foreach (string layer in layers) GetLayer(layer);
        lock (_forwardLock)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            using var capture = new ActivationCapture(_model, layers);
            var output = _model.call(batch.to(_device));
            return consume(new ForwardPass(output, capture.Outputs));
        }
    }

    /// <inheritdoc cref="ForwardBatch{T}(Tensor, IReadOnlyCollection{string}, Func{ForwardPass, T})"/>
    public T ForwardBatch<T>(IReadOnlyList<RgbImage> images, IReadOnlyCollection<string> layers, Func<ForwardPass, T> consume)
    {
        using var batch = ImageTensor.ToBatch(images, Input);
        return ForwardBatch(batch, layers, consume);
    }

    public void Dispose() => _model.Dispose();

    static string ChooseArchitecture(string? requested, ParameterShapes shapes, StateDict checkpoint, string path)
    {
        if (!string.IsNullOrWhiteSpace(requested))
            return ModelZoo.Normalize(requested);
        if (ModelZoo.Detect(shapes) is { } detected)
            return detected;
        // Training scripts (e.g. pytorch/examples' ImageNet one) often store the architecture's name.
        foreach (string key in (string[])["arch", "args.arch"])
            if (checkpoint.Metadata.TryGetValue(key, out var stored) && ModelZoo.Names.Contains(ModelZoo.Normalize(stored)))
                return ModelZoo.Normalize(stored);
        throw new UnitScopeException(EngineErrorKind.UnknownArchitecture,
            $"Could not tell the architecture of {Path.GetFileName(path)} from its {shapes.Keys.Count} tensors " +
            $"(first: {string.Join(", ", shapes.Keys.Take(4))}). Known architectures: {string.Join(", ", ModelZoo.Names)}; " +
            "pass one with --arch if the checkpoint is one of them.");
    }

    static void LoadWeights(nn.Module model, StateDict checkpoint, string architecture, ParameterShapes shapes)
    {
        try
        {
            WeightLoader.Load(model, checkpoint, architecture);
        }
        catch (UnitScopeException e) when (e.Kind == EngineErrorKind.ArchitectureMismatch)
        {
            string hint = ModelZoo.Detect(shapes) is { } detected && detected != architecture
                ? $" Its keys and shapes are those of {detected}: use --arch {detected}, or leave --arch out."
                : " Check that the checkpoint belongs to this architecture.";
            throw new UnitScopeException(e.Kind, e.Message + hint, e);
        }
    }

    static InputSpec InputSpecFor(nn.Module<Tensor, Tensor> model, string architecture, ModelOptions options)
    {
        // The first convolution's weight is [out, in, kh, kw]: its second dimension is the input's channels.
        var firstConv = model.parameters().FirstOrDefault(p => p.dim() == 4);
        int channels = firstConv is null ? 3 : (int)firstConv.shape[1];
        int defaultSize = ModelZoo.DefaultInputSize(architecture);
        var spec = new InputSpec(
            channels,
            options.InputHeight ?? defaultSize,
            options.InputWidth ?? options.InputHeight ?? defaultSize,
            options.Mean ?? (channels == 1 ? GrayMean : InputSpec.ImageNetMean),
            options.Std ?? (channels == 1 ? GrayStd : InputSpec.ImageNetStd));
        ImageTensor.Validate(spec);
        return spec;
    }

    static (IReadOnlyList<LayerInfo>, int[]) DescribeOrExplain(nn.Module<Tensor, Tensor> model, InputSpec input, Device device)
    {
        try
        {
            return LayerCatalog.Describe(model, [input.Channels, input.Height, input.Width], device);
        }
        catch (Exception e) when (e is not UnitScopeException)
        {
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The model cannot run on {input.Height}x{input.Width} inputs (--input-size): {FirstLine(e.Message)}", e);
        }
    }

    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    static float[] Softmax(float[] logits)
    {
        double max = logits.Max();
        var exp = logits.Select(v => Math.Exp(v - max)).ToArray();
        double sum = exp.Sum();
        return [.. exp.Select(e => (float)(e / sum))];
    }
}
