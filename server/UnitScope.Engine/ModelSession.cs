using TorchSharp;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Layers.ReceptiveFields;
using UnitScope.Engine.ModelDescription;
using UnitScope.Engine.Models;
using UnitScope.Engine.Onnx;
using UnitScope.Engine.Runtime;
using UnitScope.Engine.TorchSharpModels;
using static TorchSharp.torch;

namespace UnitScope.Engine;

/// <summary>
/// A checkpoint loaded into a model on a device: the Engine's entry point for everything that
/// runs a model. Methods are safe to call from several threads (one forward pass at a time), and
/// none of them changes the model.
/// </summary>
public sealed partial class ModelSession : IDisposable
{
    /// <summary>Per-channel defaults for one-channel models: the mean of ImageNet's three.</summary>
    static readonly float[] GrayMean = [0.449f], GrayStd = [0.226f];

    readonly nn.Module<Tensor, Tensor> _model;
    readonly Device _device;
    readonly object _forwardLock = new();
    readonly Dictionary<string, LayerInfo> _layersByName;

    ModelSession(nn.Module<Tensor, Tensor> model, Device device, IReadOnlyList<LayerInfo> layers, bool avoidsOneDnn)
    {
        _model = model;
        _device = device;
        Layers = layers;
        _layersByName = layers.ToDictionary(l => l.Name, StringComparer.Ordinal);
        AvoidsOneDnn = avoidsOneDnn;
    }

    /// <summary>
    /// True when this CPU's oneDNN computes some of this model's float32 convolutions wrong, so its forward
    /// passes run with oneDNN off (right, and slower): see <see cref="OneDnnConvolutions"/>.
    /// </summary>
    public bool AvoidsOneDnn { get; }

    /// <summary>Held around every forward pass: oneDNN off for a model it computes wrong.</summary>
    IDisposable? ConvolutionBackend() => AvoidsOneDnn ? OneDnnConvolutions.Avoid() : null;

    /// <summary>
    /// Held around passes that go backwards (gradients, the deconvnet's transposed convolutions): oneDNN off on any CPU
    /// where it computes some convolutions wrong. The check at load (<see cref="AvoidsOneDnn"/>) ran forward passes only,
    /// and the backward convolutions take other oneDNN paths: guided backpropagation through a model whose forward pass
    /// oneDNN computes right was off by up to 45% against PyTorch here, and not the same from one run to the next.
    /// </summary>
    IDisposable? BackwardConvolutionBackend() =>
        AvoidsOneDnn || (_device.type == DeviceType.CPU && OneDnnConvolutions.WrongOnThisMachine) ? OneDnnConvolutions.Avoid() : null;

    public string CheckpointPath { get; private init; } = "";
    /// <summary>SHA-256 of the checkpoint file's bytes, lowercase hex: the model's identity in caches.</summary>
    public string CheckpointHash { get; private init; } = "";
    public string Architecture { get; private init; } = "";
    public InputSpec Input { get; private init; } = null!;
    public int ClassCount { get; private init; }
    /// <summary>From <c>NAME.classes.txt</c> beside the checkpoint when it has one name per class, else "class 0", "class 1", ….</summary>
    public IReadOnlyList<string> ClassNames { get; private init; } = [];
    /// <summary>
    /// How images are sized for this model unless the caller says otherwise, an image folder's and a single
    /// image's alike: the description file's <c>resize</c> and <c>centerCrop</c>
    /// (<see cref="Datasets.ImageFolderOptions.WithDefaults"/>); nothing set when it gives neither.
    /// </summary>
    public Datasets.ImageFolderOptions ImageFolderDefaults { get; private init; } = new();
    /// <summary>"cpu", "cuda:0", …</summary>
    public string DeviceName { get; private init; } = "";
    public IReadOnlyList<LayerInfo> Layers { get; }
    /// <summary>Where <see cref="InputSpec.Mean"/> and <see cref="InputSpec.Std"/> of <see cref="Input"/> came from.</summary>
    public NormalisationSource MeanSource { get; private set; }
    public NormalisationSource StdSource { get; private set; }
    /// <summary>What loading noticed that may make results wrong (a class-names file that does not fit the model).</summary>
    public IReadOnlyList<string> LoadWarnings { get; private init; } = [];

    /// <summary>How this model turns an image sized by <paramref name="sizing"/> into its input, in words, with
    /// <paramref name="warnings"/> after its own (see <see cref="InputPreprocessing"/>).</summary>
    public InputPreprocessing Preprocessing(Datasets.ImageFolderOptions? sizing, IEnumerable<string>? warnings = null) =>
        InputPreprocessing.For(this, sizing, warnings);

    /// <summary>
    /// How images are sized for this model: <paramref name="explicitSizing"/>'s resize and crop where it sets
    /// them (command-line flags), else the description file's (<see cref="ImageFolderDefaults"/>), setting by
    /// setting; nothing set when neither gives any (images go in as decoded).
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument for a bad explicit setting.</exception>
    public Datasets.ImageFolderOptions ImageSizing(Datasets.ImageFolderOptions? explicitSizing = null)
    {
        var sizing = (explicitSizing ?? new Datasets.ImageFolderOptions()).WithDefaults(ImageFolderDefaults);
        sizing.Validate();
        return sizing;
    }

    /// <summary>
    /// A decoded image as this model is to see it: resized and centre-cropped as <see cref="ImageSizing"/> says
    /// (the description's <c>resize</c> / <c>centerCrop</c> unless <paramref name="explicitSizing"/> overrides
    /// them), as torchvision's evaluation transforms do before <c>ToTensor</c>; the same instance when nothing is
    /// set. Single-image analyses (<see cref="Predict"/>, <see cref="ComputeUnitMap"/>, occlusion) take this image,
    /// not the decoded one, and pictures of their results are drawn over it, so what is shown is what the model saw;
    /// <see cref="ImageTensor"/> then resizes it to <see cref="Input"/>'s size when that differs, and normalises.
    /// Apply it once: those methods do not size their image again.
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument for a bad explicit setting.</exception>
    public RgbImage SizeImage(RgbImage decoded, Datasets.ImageFolderOptions? explicitSizing = null)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        return ImageSizing(explicitSizing).Apply(decoded);
    }

    /// <summary>
    /// The size a single image is resized to for this model (the shorter side of the description's resize, else the
    /// input size), so that a large one may be decoded at a reduced scale (<see cref="ImageFile.Load"/>); null when
    /// the sizing crops without resizing first: that crop is taken in the image's own pixels.
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument for a bad explicit setting.</exception>
    public ImageDecodeHint? DecodeHint(Datasets.ImageFolderOptions? explicitSizing = null)
    {
        var sizing = ImageSizing(explicitSizing);
        if (sizing.ResizeShorterSide is { } side) return new ImageDecodeHint(MinShorterSide: side);
        if (sizing.CropHeight is not null || sizing.CropWidth is not null) return null;
        return new ImageDecodeHint(Input.Width, Input.Height);
    }

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
            using var backend = ConvolutionBackend();
            var output = _model.call(ImageTensor.ToInput(image, Input).to(_device));
            logits = output.reshape(-1).cpu().data<float>().ToArray();
        }
        if (logits.Length == 1)
            return new Prediction(logits, [], [], logits[0]);
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
            using var backend = ConvolutionBackend();
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
    /// <param name="edit">
    /// A layer whose output is replaced, at every call of it in this pass only, by a function of it
    /// (ablation zeroes units this way): the hook exists only while this model's forward lock is
    /// held, so no other pass sees it, and no weight is touched. Captured layers after it see the edit.
    /// </param>
    public T ForwardBatch<T>(Tensor batch, IReadOnlyCollection<string> layers, Func<ForwardPass, T> consume, OutputEdit? edit = null)
    {
        foreach (string layer in layers) GetLayer(layer);
        if (edit is not null) GetLayer(edit.Layer);
        lock (_forwardLock)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            using var backend = ConvolutionBackend();
            var remover = edit is null ? null : HookableModules[edit.Layer].register_forward_hook((_, _, output) => edit.Replace(output));
            try
            {
                using var capture = new ActivationCapture(_model, layers);
                var output = _model.call(batch.to(_device));
                return consume(new ForwardPass(output, capture.Outputs));
            }
            finally
            {
                remover?.remove();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="input"/> (already preprocessed, [N, C, H, W]; make it a leaf with <c>requires_grad</c> to
    /// differentiate with respect to it) through the model with autograd on, and hands <paramref name="consume"/> the
    /// model's output and the outputs of <paramref name="layers"/>, on the model's device, for it to call
    /// <c>torch.autograd.grad</c> on. The model's parameters do not require gradients during the call (only the input's
    /// gradient is computed, and nothing accumulates in the model); they are restored after. <paramref name="edits"/>
    /// replace layers' outputs for this pass only, as <see cref="ForwardBatch{T}(Tensor, IReadOnlyCollection{string}, Func{ForwardPass, T}, OutputEdit?)"/>'s
    /// edit does (guided backpropagation gates each ReLU's output this way); several on one layer apply in order.
    /// <paramref name="stopAfter"/>: the pass ends once that layer has run (what comes after it is not computed, and
    /// <see cref="ForwardPass.Output"/> is then that layer's output). Serialised with this model's other forward passes;
    /// the tensors are valid only during the call.
    /// </summary>
    /// <param name="inputsOf">Layers whose inputs (the tensor each is called with) the pass also records, in
    /// <see cref="ForwardPass.Inputs"/>: a ReLU's input is its unit's value before rectification.</param>
    /// <exception cref="UnitScopeException">UnknownLayer.</exception>
    public T ForwardWithGradient<T>(Tensor input, IReadOnlyCollection<string> layers, Func<ForwardPass, T> consume,
        IReadOnlyList<OutputEdit>? edits = null, string? stopAfter = null, IReadOnlyCollection<string>? inputsOf = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(consume);
        foreach (string layer in layers) GetLayer(layer);
        foreach (var edit in edits ?? []) GetLayer(edit.Layer);
        if (stopAfter is not null) GetLayer(stopAfter);
        foreach (string layer in inputsOf ?? []) GetLayer(layer);
        lock (_forwardLock)
        {
            using var scope = torch.NewDisposeScope();
            using var grad = torch.enable_grad();
            using var backend = BackwardConvolutionBackend();
            var frozen = _model.parameters().Where(p => p.requires_grad).ToList();
            var removers = new List<Action>();
            try
            {
                foreach (var p in frozen) p.requires_grad = false;
                foreach (var edit in edits ?? [])
                    removers.Add(HookableModules[edit.Layer].register_forward_hook((_, _, output) => edit.Replace(output)).remove);
                using var capture = new ActivationCapture(_model, stopAfter is null ? layers : [.. layers, stopAfter]);
                using var layerInputs = new ActivationCapture(_model, inputsOf ?? [], inputs: true);
                Tensor output;
                if (stopAfter is null)
                {
                    output = _model.call(input.to(_device));
                }
                else
                {
                    // The stop hook keeps the output itself: a module's hooks need not run in the order they were
                    // registered (seen with guided backpropagation on VGG: the capture's hook had not run yet).
                    Tensor? stopped = null;
                    var stop = HookableModules[stopAfter].register_forward_hook((_, _, o) =>
                    {
                        stopped = o;
                        throw new StopForward();
                    });
                    removers.Add(stop.remove);
                    try
                    {
                        _model.call(input.to(_device));
                        throw new InvalidOperationException($"Layer '{stopAfter}' did not run.");
                    }
                    catch (StopForward)
                    {
                        output = stopped!;
                    }
                }
                var captured = capture.Outputs.Where(kv => layers.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                if (stopAfter is not null && layers.Contains(stopAfter)) captured[stopAfter] = output;
                return consume(new ForwardPass(output, captured, inputsOf is null ? null : layerInputs.Outputs));
            }
            finally
            {
                foreach (var remove in removers) remove();
                foreach (var p in frozen) p.requires_grad = true;
            }
        }
    }

    /// <summary>Thrown by the hook that ends a pass early (<c>stopAfter</c>); never leaves <see cref="ForwardWithGradient{T}"/>.</summary>
    sealed class StopForward : Exception;

    /// <summary>
    /// The receptive field of every layer, in <see cref="Layers"/>' order (computed once, on first use: a forward pass,
    /// and for layers off a chain of modules a few more on larger inputs; see <see cref="ReceptiveFieldCatalog"/>).
    /// </summary>
    public IReadOnlyList<LayerReceptiveField> ReceptiveFields
    {
        get
        {
            if (_receptiveFields is { } known) return known;
            lock (_forwardLock)
            {
                if (_receptiveFields is null)
                {
                    using var backend = ConvolutionBackend();
                    _receptiveFields = ReceptiveFieldCatalog.Compute(_model, Layers, [Input.Channels, Input.Height, Input.Width], _device, TraceLocked());
                }
                return _receptiveFields;
            }
        }
    }
    volatile IReadOnlyList<LayerReceptiveField>? _receptiveFields;

    /// <summary>The receptive fields if <see cref="ReceptiveFields"/> has computed them already, else null (never waits: for
    /// hovers, which must not hold up the editor behind a running analysis).</summary>
    public IReadOnlyList<LayerReceptiveField>? ReceptiveFieldsIfKnown => _receptiveFields;

    /// <summary>
    /// The calls of the model's modules in one forward pass of zeros at the input size (<see cref="ModuleTrace"/>: which
    /// module fed which), recorded once; null for an ONNX model, whose operations are not modules.
    /// </summary>
    internal ModuleTraceResult? Trace
    {
        get
        {
            lock (_forwardLock) return TraceLocked();
        }
    }

    ModuleTraceResult? TraceLocked()
    {
        if (_model is OnnxModel) return null;
        if (_trace is null)
        {
            using var backend = ConvolutionBackend();
            var (calls, input) = ModuleTrace.Record(_model, [Input.Channels, Input.Height, Input.Width], _device);
            _trace = new ModuleTraceResult(calls, input);
        }
        return _trace;
    }
    ModuleTraceResult? _trace;

    /// <summary>
    /// Runs <paramref name="work"/> on the model under this session's forward lock, without gradients, with the
    /// convolution backend of passes that go backwards (the deconvnet's transposed convolutions).
    /// </summary>
    internal T Exclusive<T>(Func<nn.Module<Tensor, Tensor>, T> work)
    {
        lock (_forwardLock)
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            using var backend = BackwardConvolutionBackend();
            return work(_model);
        }
    }

    /// <exception cref="UnitScopeException">UnknownLayer.</exception>
    public LayerReceptiveField ReceptiveFieldOf(string layer)
    {
        GetLayer(layer);
        return ReceptiveFields.First(f => f.Layer == layer);
    }

    /// <summary>The device the model's weights are on; batches are moved there by the forward methods.</summary>
    public Device Device => _device;

    IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>> HookableModules =>
        _hookableModules ??= LayerCatalog.HookableModules(_model);
    IReadOnlyDictionary<string, nn.Module<Tensor, Tensor>>? _hookableModules;

    /// <summary>The model itself, for tests that check it is left unchanged.</summary>
    internal nn.Module<Tensor, Tensor> Module => _model;

    /// <inheritdoc cref="ForwardBatch{T}(Tensor, IReadOnlyCollection{string}, Func{ForwardPass, T})"/>
    public T ForwardBatch<T>(IReadOnlyList<RgbImage> images, IReadOnlyCollection<string> layers, Func<ForwardPass, T> consume)
    {
        using var batch = ImageTensor.ToBatch(images, Input);
        return ForwardBatch(batch, layers, consume);
    }

    /// <summary>What else the model needs alive: the load context of a C# model's code, unloaded after the model.</summary>
    IDisposable? Owner { get; set; }

    public void Dispose()
    {
        _model.Dispose();
        Owner?.Dispose();
    }

    /// <summary>True for an image generator (<see cref="Models.IArchitectureFamily.IsGenerator"/>): its input is
    /// <see cref="LatentSize"/> numbers ([N, nz, 1, 1]) and its output the image, in [−1, 1].</summary>
    public bool IsGenerator => ModelZoo.Names.Contains(Architecture) && ModelZoo.IsGenerator(Architecture);

    /// <summary>A generator's latent length (nz); 0 for a model that takes images.</summary>
    public int LatentSize => IsGenerator ? Input.Channels : 0;

    static float[] Softmax(float[] logits)
    {
        double max = logits.Max();
        var exp = logits.Select(v => Math.Exp(v - max)).ToArray();
        double sum = exp.Sum();
        return [.. exp.Select(e => (float)(e / sum))];
    }
}
