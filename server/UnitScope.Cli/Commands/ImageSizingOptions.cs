using System.CommandLine;
using System.Globalization;
using UnitScope.Engine;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.ModelDescription;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>--resize</c> and <c>--crop</c> of the single-image commands (<c>predict</c>, <c>unitmap</c>, <c>occlude</c>):
/// how the image is sized for the model before it is resized to the input size and normalised, each flag
/// winning over the model description's <c>resize</c> / <c>centerCrop</c> (<see cref="ModelSession.ImageSizing"/>).
/// Also the wording and JSON of a sizing that <c>ablate</c> and <c>rank</c> share.
/// </summary>
sealed class ImageSizingOptions
{
    public Option<int?> Resize { get; } = new("--resize")
    {
        Description = "Resize the image's shorter side to N pixels first (torchvision Resize(N)); default: the model description's \"resize\", else none.",
        HelpName = "N",
    };
    public Option<string?> Crop { get; } = new("--crop")
    {
        Description = "Then centre-crop it to N or HxW pixels (torchvision CenterCrop); default: the model description's \"centerCrop\", else none.",
        HelpName = "SIZE",
    };

    public void AddTo(Command command)
    {
        command.Add(Resize);
        command.Add(Crop);
    }

    /// <summary>The flags as given (unset ones null), checked before anything is loaded.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the flag.</exception>
    public ImageFolderOptions Read(ParseResult parse)
    {
        var (height, width) = ParseCrop(parse.GetValue(Crop));
        var given = new ImageFolderOptions { ResizeShorterSide = parse.GetValue(Resize), CropHeight = height, CropWidth = width };
        if (given.ResizeShorterSide is < 1 or > ImageFolderOptions.MaxSide)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"--resize must be 1 to {ImageFolderOptions.MaxSide} pixels, not {given.ResizeShorterSide}.");
        given.Validate();
        return given;
    }

    /// <summary>"224" → (224, 224), "224x192" → (224, 192), nothing → (null, null).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming --crop.</exception>
    public static (int? Height, int? Width) ParseCrop(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return (null, null);
        var parts = text.Trim().ToLowerInvariant().Split('x');
        if (parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v)
                && v is > 0 and <= ImageFolderOptions.MaxSide))
        {
            int h = int.Parse(parts[0], CultureInfo.InvariantCulture);
            return (h, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : h);
        }
        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
            $"--crop '{text}' is not a size: use N for a square or HEIGHTxWIDTH (1 to {ImageFolderOptions.MaxSide} pixels), e.g. 224 or 224x192.");
    }

    /// <summary>
    /// <paramref name="picture"/> sized for <paramref name="model"/> (<see cref="ModelSession.SizeImage"/>): the
    /// image the command runs the model on and draws over. When it is sized at all, says how on stderr.
    /// </summary>
    public static RgbImage Apply(CliContext cli, ModelSession model, ImageFolderOptions given, RgbImage picture, string imagePath)
    {
        var used = model.ImageSizing(given);
        var sized = used.Apply(picture);
        if (!used.IsEmpty)
            cli.Info($"Image {Path.GetFileName(imagePath)} ({picture.Width}×{picture.Height}): {Describe(used, given, model)}, " +
                $"giving {sized.Width}×{sized.Height}.");
        return sized;
    }

    /// <summary>"resize 256, centre crop 224x224 (resize and crop from m.unitscope.json)": the sizing used, and which
    /// of its settings came from the model's description rather than from <paramref name="given"/>.</summary>
    public static string Describe(ImageFolderOptions used, ImageFolderOptions? given, ModelSession model)
    {
        var saved = new List<string>();
        if (given?.ResizeShorterSide is null && model.ImageFolderDefaults.ResizeShorterSide is not null) saved.Add("resize");
        if (given?.CropHeight is null && model.ImageFolderDefaults.CropHeight is not null) saved.Add("crop");
        return used + (saved.Count == 0 ? ""
            : $" ({string.Join(" and ", saved)} from {Path.GetFileName(ModelDescriptionFile.PathFor(model.CheckpointPath))})");
    }

    /// <summary>
    /// For --json, what the model did to the images: <c>{ "resize": 256, "centerCrop": [224, 224]</c> (each left out
    /// when not set, as for the probe set), <c>"interpolation", "inputSize", "mean", "std", "meanSource", "stdSource"</c>
    /// (options, description, imagenet, imagenetGray), <c>"summary"</c> and <c>"warnings"</c> (what may make the result wrong) <c>}</c>.
    /// </summary>
    public static object Json(ModelSession model, ImageFolderOptions? used, IEnumerable<string>? warnings = null)
    {
        var p = model.Preprocessing(used, warnings);
        return new
        {
            resize = used?.ResizeShorterSide,
            centerCrop = used?.CropHeight is { } h && used.CropWidth is { } w ? new[] { h, w } : null,
            interpolation = p.Resampling.Name(),
            inputSize = new[] { model.Input.Height, model.Input.Width },
            mean = p.Mean,
            std = p.Std,
            meanSource = InputPreprocessing.Name(p.MeanSource),
            stdSource = InputPreprocessing.Name(p.StdSource),
            summary = p.Summary,
            warnings = p.Warnings,
        };
    }
}
