using System.CommandLine;
using System.Globalization;
using UnitScope.Engine;

namespace UnitScope.Cli;

/// <summary>
/// The options every model-running command shares: --arch, --input-size, --mean, --std, --device,
/// --json. Values are checked when the command runs, so a bad value is a user error (exit code 2)
/// with a message naming the option.
/// </summary>
public sealed class ModelOptionSet
{
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
        Description = "Per-channel normalisation mean in [0,1], comma-separated (one value for 1-channel models); default: ImageNet's.",
        HelpName = "M1,M2,M3",
    };

    public Option<string?> Std { get; } = new("--std")
    {
        Description = "Per-channel normalisation std, comma-separated (one value for 1-channel models); default: ImageNet's.",
        HelpName = "S1,S2,S3",
    };

    public Option<string> Device { get; } = new("--device")
    {
        Description = "Where to run the model: auto (cuda when available), cpu, cuda or cuda:N.",
        DefaultValueFactory = _ => "auto",
        HelpName = "DEVICE",
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
        command.Add(Json);
    }

    /// <exception cref="UnitScopeException">InvalidArgument for a malformed value, naming the option.</exception>
    public ModelOptions Read(ParseResult parse)
    {
        var (height, width) = ParseInputSize(parse.GetValue(InputSize));
        return new ModelOptions
        {
            Architecture = string.IsNullOrWhiteSpace(parse.GetValue(Arch)) ? null : parse.GetValue(Arch)!.Trim(),
            InputHeight = height,
            InputWidth = width,
            Mean = ParseFloats("--mean", parse.GetValue(Mean)),
            Std = ParseFloats("--std", parse.GetValue(Std)),
            Device = parse.GetValue(Device) ?? "auto",
        };
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
