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
/// How a <see cref="ModelSession"/> comes to be: a zoo architecture from a state_dict checkpoint, an ONNX graph, or
/// the user's own C# model class; the input it takes, its class names, and the errors that say why a file will not load.
/// </summary>
public sealed partial class ModelSession
{
    /// <summary>
    /// Loads a state_dict checkpoint (PyTorch zip/legacy, safetensors, TorchSharp .dat: a zoo
    /// architecture) or an ONNX model, told apart by content; with
    /// <see cref="ModelOptions.Definition"/>, the checkpoint goes into the user's own C# model class.
    /// A <c>NAME.unitscope.json</c> beside the file (<see cref="ModelDescriptionFile"/>) supplies what
    /// the file does not say; explicit <paramref name="options"/> win over it. When it says
    /// <c>"architecture": "onnx"</c> for a state_dict (what "Import model from training code"
    /// writes), the model is <c>NAME.onnx</c> beside it.
    /// </summary>
    /// <exception cref="UnitScopeException">missing/corrupt/unsafe file, unknown or mismatched architecture,
    /// unsupported ONNX operator or opset, malformed description file, bad options.</exception>
    /// <exception cref="OperationCanceledException">Reading or hashing the file stops at its next read once
    /// <paramref name="cancellationToken"/> is cancelled.</exception>
    public static ModelSession Load(string checkpointPath, ModelOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ModelOptions();
        var device = TorchRuntime.ResolveDevice(options.Device);
        string path = Path.GetFullPath(checkpointPath);
        var description = ModelDescriptionFile.ReadBeside(path);
        var session = Load(path, WithDescription(options, description), description, device, cancellationToken);
        bool gray = session.Input.Channels == 1;
        session.MeanSource = Source(options.Mean, description?.Mean, gray);
        session.StdSource = Source(options.Std, description?.Std, gray);
        return session;
    }

    static NormalisationSource Source(float[]? given, float[]? described, bool gray) =>
        given is not null ? NormalisationSource.Options
        : described is not null ? NormalisationSource.Description
        : gray ? NormalisationSource.ImageNetGray : NormalisationSource.ImageNet;

    static ModelSession Load(string path, ModelOptions options, Description? description, Device device, CancellationToken cancellationToken)
    {
        if (options.Definition is { } definition)
            return LoadCSharp(path, definition, options, description, device, cancellationToken);
        if (IsOnnx(path))
            return LoadOnnx(path, options, description, device, cancellationToken);
        if (ExportedOnnxFor(path, options) is { } exported)
            return LoadOnnx(exported, options, description, device, cancellationToken);

        // The architecture is chosen, and the checkpoint seen to fit it, from what the file declares: a checkpoint
        // that cannot fit is refused before its weights are read (or, in a zip, inflated).
        var outline = CheckpointReader.ReadOutline(path, cancellationToken);
        var shapes = new ParameterShapes(outline.Shapes);
        string architecture = ChooseArchitecture(options.Architecture, shapes, outline, path);

        var model = ModelZoo.Build(architecture, shapes);
        try
        {
            FitOrExplain(() => WeightLoader.CheckFits(model, outline.Shapes, architecture), architecture, shapes);
            using var checkpoint = CheckpointReader.Read(path, cancellationToken);
            FitOrExplain(() => WeightLoader.Load(model, checkpoint, architecture), architecture, shapes);
            model.to(device);
            return Assemble(model, device, InputSpecFor(model, architecture, options), path,
                CheckpointReader.ComputeHash(path, cancellationToken), architecture, description);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The last sentence of the error for a .dat that is no zoo architecture and came without its C#
    /// definition (front ends that name the inputs otherwise, like the CLI's --assembly/--source, replace it).
    /// </summary>
    public const string TorchSharpDefinitionHint =
        "For a TorchSharp model, give its C# class with the .dat: the assembly (.dll) or source file (.cs) and the type name.";

    static string ChooseArchitecture(string? requested, ParameterShapes shapes, CheckpointOutline checkpoint, string path)
    {
        if (!string.IsNullOrWhiteSpace(requested))
            return ModelZoo.Normalize(requested);
        if (ModelZoo.Detect(shapes) is { } detected)
            return detected;
        // Training scripts (e.g. pytorch/examples' ImageNet one) often store the architecture's name.
        foreach (string key in (string[])["arch", "args.arch"])
            if (checkpoint.Metadata.TryGetValue(key, out var stored) && ModelZoo.Names.Contains(ModelZoo.Normalize(stored)))
                return ModelZoo.Normalize(stored);
        var unknown = ModelZoo.UnknownArchitecture(Path.GetFileName(path), shapes);
        if (checkpoint.Format == TorchSharpDatReader.Format)
            throw new UnitScopeException(unknown.Kind, unknown.Message + " " + TorchSharpDefinitionHint);
        throw unknown;
    }

    /// <summary>Options with the description file's values where the caller gave none.</summary>
    static ModelOptions WithDescription(ModelOptions options, Description? description)
    {
        if (description is null) return options;
        bool sizeGiven = options.InputHeight is not null || options.InputWidth is not null;
        return options with
        {
            Architecture = string.IsNullOrWhiteSpace(options.Architecture) ? description.Architecture : options.Architecture,
            InputHeight = sizeGiven ? options.InputHeight : description.InputSize?[0],
            InputWidth = sizeGiven ? options.InputWidth : description.InputSize?[1],
            Mean = options.Mean ?? description.Mean,
            Std = options.Std ?? description.Std,
        };
    }

    /// <summary>The description's class names (which must fit the model), else NAME.classes.txt, else "class i".</summary>
    static IReadOnlyList<string> ClassNamesFor(string path, int classCount, Description? description, out string? warning)
    {
        warning = null;
        if (description?.ClassNames is not { } names)
            return ClassNameFile.Read(path, classCount, out warning);
        if (names.Count != classCount)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Model description {ModelDescriptionFile.PathFor(path)}: {(description.ClassNamesFile is { } file ? $"'classNamesFile' ({file})" : "'classNames'")} " +
                $"has {names.Count} names but the model has {classCount} classes.");
        return names;
    }

    /// <summary>ONNX by content (a serialized ModelProto); a .onnx file that is no known checkpoint format goes to the ONNX reader for its error.</summary>
    static bool IsOnnx(string path)
    {
        if (!UserFile.IsRegular(path)) return false; // the checkpoint reader reports it (and refuses a FIFO before opening it)
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (OnnxFile.LooksLikeOnnx(file)) return true;
            if (!string.Equals(Path.GetExtension(path), ".onnx", StringComparison.OrdinalIgnoreCase)) return false;
            try
            {
                CheckpointSniffer.Sniff(file);
                return false; // a renamed checkpoint
            }
            catch (CheckpointProblem)
            {
                return true;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the checkpoint reader reports it
        }
    }

    /// <summary>
    /// A state_dict whose description says "onnx" stands for the ONNX exported from it, <c>NAME.onnx</c>
    /// beside it; null when the architecture is anything else.
    /// </summary>
    static string? ExportedOnnxFor(string path, ModelOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Architecture) || ModelZoo.Normalize(options.Architecture) != "onnx")
            return null;
        string onnx = Path.ChangeExtension(path, ".onnx");
        return File.Exists(onnx) ? onnx : throw new UnitScopeException(EngineErrorKind.FileNotFound,
            $"{Path.GetFileName(path)} is a state_dict whose architecture is given as \"onnx\" (--arch or " +
            $"{Path.GetFileName(ModelDescriptionFile.PathFor(path))}), but {onnx} does not exist: export it with " +
            "\"UnitScope: Import model from training code\", or open the .onnx file itself.");
    }

    /// <summary>
    /// The checkpoint (a TorchSharp .dat, or any state_dict with TorchSharp's names) loaded into the
    /// user's C# model: every key must fit, as for the zoo. The model's identity combines the
    /// weights' hash with the code's (a rebuilt assembly is another model).
    /// </summary>
    static ModelSession LoadCSharp(string path, CSharpModelDefinition definition, ModelOptions options, Description? description, Device device,
        CancellationToken cancellationToken)
    {
        using var checkpoint = CheckpointReader.Read(path, cancellationToken);
        var built = CSharpModelLoader.Build(definition);
        var model = built.Module;
        string name = built.Name;
        ModelSession session;
        try
        {
            model.eval();
            LoadIntoCSharpModel(model, checkpoint, name);
            model.to(device);
            session = Assemble(model, device, InputSpecFor(model, DefaultCSharpInputSize, options), path,
                CombinedHash(CheckpointReader.ComputeHash(path, cancellationToken), definition.Identity()), $"{name} (C#)", description);
        }
        catch
        {
            model.Dispose();
            built.Context.Dispose();
            throw;
        }
        session.Owner = built.Context;
        if (session.Layers.Count == 0 && LayerCatalog.HookableModules(model).Count > 0)
        {
            session.Dispose();
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"No layer of {name} saw the forward pass: its forward must call its submodules with .call(x), not .forward(x), " +
                "for their outputs to be captured.");
        }
        return session;
    }

    static void LoadIntoCSharpModel(nn.Module model, StateDict checkpoint, string description)
    {
        if (model.state_dict().Count == 0)
            throw new UnitScopeException(EngineErrorKind.ArchitectureMismatch,
                $"{description} has no parameters or buffers: its constructor must call RegisterComponents() after creating its layers.");
        WeightLoader.Load(model, checkpoint, description);
    }

    static string CombinedHash(params string[] hashes) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", hashes))));

    static ModelSession LoadOnnx(string path, ModelOptions options, Description? description, Device device, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.Architecture) && ModelZoo.Normalize(options.Architecture) != "onnx")
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{Path.GetFileName(path)} is an ONNX model, which carries its own architecture; the architecture " +
                $"'{options.Architecture}' (--arch or the description file) applies to state_dict checkpoints only.");
        var model = OnnxModel.Load(path, options.InputHeight, options.InputWidth ?? options.InputHeight);
        try
        {
            model.to(device);
            return Assemble(model, device, OnnxInputSpec(model, options, path), path, OnnxHash(path, model, cancellationToken),
                string.IsNullOrEmpty(model.GraphName) ? "onnx" : $"onnx ({model.GraphName})", description);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The session for a built model already on its device: its layers and class count come from one
    /// blank forward pass at the input size (an input size the model cannot take is reported here).
    /// </summary>
    static ModelSession Assemble(nn.Module<Tensor, Tensor> model, Device device, InputSpec input, string path, string hash,
        string architecture, Description? description)
    {
        var (layers, outputShape) = DescribeOrExplain(model, input, device);
        int classCount = outputShape.Aggregate(1, (a, b) => a * b);
        bool avoidsOneDnn = OneDnnConvolutions.Affects(model, [input.Channels, input.Height, input.Width], device);
        return new ModelSession(model, device, layers, avoidsOneDnn)
        {
            CheckpointPath = path,
            CheckpointHash = hash,
            Architecture = architecture,
            Input = input with { Resampling = description?.Interpolation ?? Resampling.Bilinear },
            ClassCount = classCount,
            ClassNames = ClassNamesFor(path, classCount, description, out var classWarning),
            LoadWarnings = classWarning is null ? [] : [classWarning],
            ImageFolderDefaults = description?.ToImageFolderOptions() ?? new(),
            DeviceName = device.ToString(),
        };
    }

    /// <summary>[C, H, W] from the graph's input; symbolic height/width from the options (--input-size or the description file).</summary>
    static InputSpec OnnxInputSpec(OnnxModel model, ModelOptions options, string path)
    {
        var dims = model.InputShape;
        string shown = "[" + string.Join(", ", dims.Select(d => d?.ToString() ?? "?")) + "]";
        if (dims.Count != 4)
            throw new UnitScopeException(EngineErrorKind.UnknownArchitecture,
                $"{Path.GetFileName(path)}: the model's input '{model.InputName}' is {shown}; UnitScope feeds images as [N, C, H, W].");
        int channels = dims[1] is > 0 and <= 4 ? (int)dims[1]!.Value
            : throw new UnitScopeException(EngineErrorKind.UnknownArchitecture, dims[1] is { } c
                ? $"{Path.GetFileName(path)}: the model's input '{model.InputName}' {shown} has {c} channels: UnitScope analyses image models, " +
                  "whose input has 1 (grey) or 3 (RGB) channels (a model fed noise, such as a GAN generator, is not one)."
                : $"{Path.GetFileName(path)}: the model's input '{model.InputName}' {shown} does not say how many channels it takes (1 to 4).");
        int? height = options.InputHeight ?? (int?)dims[2], width = options.InputWidth ?? options.InputHeight ?? (int?)dims[3];
        if (height is null || width is null)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{Path.GetFileName(path)}: the model's input '{model.InputName}' is {shown}, so its size must be given: " +
                $"--input-size, or \"inputSize\": [height, width] in {Path.GetFileName(ModelDescriptionFile.PathFor(path))}.");
        var spec = new InputSpec(channels, height.Value, width.Value,
            options.Mean ?? (channels == 1 ? GrayMean : InputSpec.ImageNetMean),
            options.Std ?? (channels == 1 ? GrayStd : InputSpec.ImageNetStd));
        ImageTensor.Validate(spec);
        return spec;
    }

    /// <summary>The graph file's hash, combined with its external-data files' when it has any (they hold the weights).</summary>
    static string OnnxHash(string path, OnnxModel model, CancellationToken cancellationToken)
    {
        string graph = CheckpointReader.ComputeHash(path, cancellationToken);
        if (model.ExternalDataFiles.Count == 0) return graph;
        var all = string.Join("\n", [graph, .. model.ExternalDataFiles.Select(f => CheckpointReader.ComputeHash(f, cancellationToken))]);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(all)));
    }

    /// <summary>Runs a fit check or a load; an ArchitectureMismatch gets a hint (the architecture the shapes are those of).</summary>
    static void FitOrExplain(Action fit, string architecture, ParameterShapes shapes)
    {
        try
        {
            fit();
        }
        catch (UnitScopeException e) when (e.Kind == EngineErrorKind.ArchitectureMismatch)
        {
            string hint = ModelZoo.Detect(shapes) is { } detected && detected != architecture
                ? $" Its keys and shapes are those of {detected}: use --arch {detected}, or leave --arch out."
                : " Check that the checkpoint belongs to this architecture.";
            throw new UnitScopeException(e.Kind, e.Message + hint, e);
        }
    }

    /// <summary>The side of a C# model's input when neither the options nor the description give one.</summary>
    const int DefaultCSharpInputSize = 224;

    static InputSpec InputSpecFor(nn.Module<Tensor, Tensor> model, string architecture, ModelOptions options) =>
        ModelZoo.IsGenerator(architecture) ? LatentSpec(model) : InputSpecFor(model, ModelZoo.DefaultInputSize(architecture), options);

    /// <summary>
    /// A generator's input: a latent vector as [nz, 1, 1] (nz from the first transposed convolution's weight, [nz, out, k, k]),
    /// fed as drawn (no normalisation: mean 0, std 1 per latent channel).
    /// </summary>
    static InputSpec LatentSpec(nn.Module<Tensor, Tensor> model)
    {
        int latent = (int)model.parameters().First(p => p.dim() == 4).shape[0];
        return new InputSpec(latent, 1, 1, new float[latent], [.. Enumerable.Repeat(1f, latent)]);
    }

    static InputSpec InputSpecFor(nn.Module<Tensor, Tensor> model, int defaultSize, ModelOptions options)
    {
        // The first convolution's weight is [out, in, kh, kw]: its second dimension is the input's channels.
        var firstConv = model.parameters().FirstOrDefault(p => p.dim() == 4);
        int channels = firstConv is null ? 3 : (int)firstConv.shape[1];
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
}
