using System.CommandLine;
using System.Globalization;
using UnitScope.Engine;
using UnitScope.Engine.TorchSharpModels;

namespace UnitScope.Cli;

/// <summary>
/// The options every model-running command shares: --arch, --input-size, --mean, --std, --device,
/// --json, and for a TorchSharp .dat its C# definition (--assembly or --source, --type: the same
/// <see cref="CSharpModelDefinition"/> the daemon's loadModel makes of assemblyPath/sourcePath/typeName).
/// Values are checked when the command runs, so a bad value is a user error (exit code 2) with a
/// message naming the option; options that cannot go together are a usage error (exit code 1).
/// </summary>
public sealed class ModelOptionSet
{
    /// <summary>What the MODEL argument (or --model) of every model-running command takes.</summary>
    public const string ModelFileDescription =
        "Model file: a checkpoint (.pth, .pt, .safetensors; a TorchSharp .dat with --assembly or --source) or an ONNX model (.onnx).";

    public Option<string?> Arch { get; } = new("--arch")
    {
        Description = "Architecture (smallcnn, alexnet, vgg11…19[_bn], resnet18…152); default: detected from the checkpoint.",
        HelpName = "NAME",
    };

    public Option<string?> InputSize { get; } = new("--input-size")
    {
        Description = "Model input size: N (square) or HEIGHTxWIDTH, e.g. 224 or 32x32; default: the architecture's.",
        HelpName = "SIZE",
    };

    public Option<string?> Mean { get; } = new("--mean")
    {
        Description = "Per-channel normalisation mean in [0,1] (ToTensor's scale: divide 0-255 values by 255), comma-separated (one value for 1-channel models); default: ImageNet's.",
        HelpName = "M1,M2,M3",
    };

    public Option<string?> Std { get; } = new("--std")
    {
        Description = "Per-channel normalisation std in (0,1] (ToTensor's scale), comma-separated (one value for 1-channel models); default: ImageNet's.",
        HelpName = "S1,S2,S3",
    };

    public Option<string> Device { get; } = new("--device")
    {
        Description = "Where to run the model: auto (cuda when available), cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "auto",
        HelpName = "DEVICE",
    };

    public Option<string?> Assembly { get; } = new("--assembly")
    {
        Description = "A TorchSharp model's compiled C# definition (.dll): the checkpoint (a .dat Module.save wrote) is loaded into its class.",
        HelpName = "PATH.dll",
    };

    public Option<string?> Source { get; } = new("--source")
    {
        Description = "Instead of --assembly: a single C# file defining the TorchSharp model, compiled against the framework and TorchSharp.",
        HelpName = "PATH.cs",
    };

    public Option<string?> Type { get; } = new("--type")
    {
        Description = "With --assembly/--source: the model's class (Namespace.Net, made by a constructor without required arguments) " +
                      "or static factory (Namespace.Models.Create); default: the one model class the code defines.",
        HelpName = "NAME",
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print a JSON document on stdout (and nothing else there); progress goes to stderr.",
    };

    public void AddTo(Command command)
    {
        command.Add(Arch);
        command.Add(InputSize);
        command.Add(Mean);
        command.Add(Std);
        command.Add(Device);
        command.Add(Assembly);
        command.Add(Source);
        command.Add(Type);
        command.Add(Json);
    }

    /// <exception cref="UnitScopeException">InvalidArgument for a malformed value, FileNotFound for a missing
    /// --assembly/--source file, each naming the option.</exception>
    /// <exception cref="CliUsageException">options that do not go together (--assembly with --source, --type alone, --arch with either).</exception>
    public ModelOptions Read(ParseResult parse)
    {
        string? arch = Trimmed(parse.GetValue(Arch));
        var definition = ReadDefinition(Trimmed(parse.GetValue(Assembly)), Trimmed(parse.GetValue(Source)), Trimmed(parse.GetValue(Type)), arch);
        var (height, width) = ParseInputSize(parse.GetValue(InputSize));
        return new ModelOptions
        {
            Architecture = arch,
            InputHeight = height,
            InputWidth = width,
            Mean = ParseNormalisation("--mean", parse.GetValue(Mean), isStd: false),
            Std = ParseNormalisation("--std", parse.GetValue(Std), isStd: true),
            Device = parse.GetValue(Device) ?? "auto",
            Definition = definition,
        };
    }

    static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>The C# definition from --assembly/--source/--type, checked before anything is loaded; null without them.</summary>
    public static CSharpModelDefinition? ReadDefinition(string? assembly, string? source, string? type, string? arch)
    {
        if (assembly is null && source is null)
        {
            if (type is not null)
                throw new CliUsageException(
                    $"--type {type} needs the code that defines it: --assembly PATH.dll (the compiled model) or --source PATH.cs (a single C# file).");
            return null;
        }
        if (assembly is not null && source is not null)
            throw new CliUsageException("Give the model's C# definition with --assembly (a .dll) or with --source (a .cs file), not both.");
        if (arch is not null)
            throw new CliUsageException(
                $"--arch {arch} names a zoo architecture; with {(assembly is not null ? "--assembly" : "--source")} the model is your C# class " +
                "(choose it with --type). Give one or the other.");

        string option = assembly is not null ? "--assembly" : "--source";
        string path = (assembly ?? source)!;
        if (Directory.Exists(path))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"{option} {path} is a folder; give the model's {(assembly is not null ? "assembly file (.dll)" : "C# source file (.cs)")}.");
        if (!File.Exists(path))
            throw new UnitScopeException(EngineErrorKind.FileNotFound,
                $"{option}: the model's {(assembly is not null ? "assembly" : "source file")} was not found: {path}");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (assembly is not null && extension == ".cs")
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"--assembly {path} is C# source: give it with --source, or build it and give the .dll with --assembly.");
        if (source is not null && extension is ".dll" or ".exe")
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"--source {path} is a compiled assembly: give it with --assembly (--source takes a .cs file).");
        return CSharpModelDefinition.Create(assembly, source, type);
    }

    /// <summary>
    /// The Engine's error in the CLI's words: where it asks for the C# definition by the daemon's
    /// parameter names, name the options that give it.
    /// </summary>
    public static UnitScopeException InCliTerms(UnitScopeException error)
    {
        string message = error.Message
            .Replace(ModelSession.TorchSharpDefinitionHint,
                "For a TorchSharp model, give its C# class with the .dat: --assembly PATH.dll or --source PATH.cs, " +
                "and --type Namespace.Class when the code defines more than one model class.")
            .Replace("(typeName)", "(--type)");
        return message == error.Message ? error : new UnitScopeException(error.Kind, message, error);
    }

    /// <summary>"224" → (224, 224); "32x28" → (32, 28) as height × width; null → (null, null).</summary>
    public static (int? Height, int? Width) ParseInputSize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return (null, null);
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v is > 0 and <= 16384))
        {
            int h = int.Parse(parts[0], CultureInfo.InvariantCulture);
            int w = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : h;
            return (h, w);
        }
        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
            $"--input-size '{text}' is not a size: use N for a square input or HEIGHTxWIDTH, e.g. 224 or 32x32.");
    }

    /// <summary>--mean or --std: numbers on the 0..1 scale (<see cref="Engine.Imaging.NormalisationScale"/>).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the option, saying what to give for 0–255 values.</exception>
    public static float[]? ParseNormalisation(string option, string? text, bool isStd)
    {
        var values = ParseFloats(option, text);
        if (values is not null && Engine.Imaging.NormalisationScale.Problem(values, isStd) is { } problem)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"{option} {text} {problem}.");
        return values;
    }

    /// <summary>"0.5, 0.4,0.3" → [0.5, 0.4, 0.3]; null → null.</summary>
    public static float[]? ParseFloats(string option, string? text)
    {
        if (text is null)
            return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"{option} '{text}': '{parts[i]}' is not a number; give comma-separated numbers, e.g. 0.485,0.456,0.406.");
        return values;
    }
}
