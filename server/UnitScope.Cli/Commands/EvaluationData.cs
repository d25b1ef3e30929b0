using System.CommandLine;
using UnitScope.Engine;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Cli.Commands;

/// <summary>The evaluation-set options of <c>ablate</c> and <c>rank</c>: --data, preprocessing, limits, the cache.</summary>
sealed class EvaluationData
{
    public Option<string> Data { get; } = new("--data")
    {
        Description = "Evaluation images: \"probe\" (the built-in probe set's scene labels) or an image folder with one sub-folder of images per class.",
        DefaultValueFactory = _ => "probe",
        HelpName = "probe|DIR",
    };
    public Option<int?> MaxImages { get; } = new("--max-images") { Description = "Use at most N images, evenly spread over the set; default: all.", HelpName = "N" };
    public Option<int?> Resize { get; } = new("--resize")
    {
        Description = "Image folder: resize the shorter side to N pixels first (torchvision Resize(N)); default: the model description's \"resize\", else none.",
        HelpName = "N",
    };
    public Option<string?> Crop { get; } = new("--crop")
    {
        Description = "Image folder: then centre-crop to N or HxW pixels (torchvision CenterCrop); default: the model description's \"centerCrop\", else none.",
        HelpName = "SIZE",
    };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Samples per forward pass (images × unit sets); speed and memory only.", DefaultValueFactory = _ => 64, HelpName = "N" };
    public Option<string?> Cache { get; } = new("--cache") { Description = "Cache folder for results and the built-in probe set; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
    public Option<int?> ProbeCount { get; } = new("--probe-count") { Description = "With --data probe: how many images the generated set has (default 2000).", HelpName = "N" };
    public Option<int?> ProbeSize { get; } = new("--probe-size") { Description = "With --data probe: side of the generated images in pixels (default 112).", HelpName = "PX" };

    public static EvaluationData Options() => new();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Data, MaxImages, Resize, Crop, BatchSize, Cache, ProbeCount, ProbeSize })
            command.Add(option);
    }

    public Source Read(ParseResult parse)
    {
        string text = parse.GetValue(Data) ?? "probe";
        string cache = Path.GetFullPath(parse.GetValue(Cache) ?? CacheDirectory.Resolve());
        int? max = parse.GetValue(MaxImages);
        if (max is < 1)
            throw new CliUsageException("--max-images must be at least 1.");
        if (parse.GetValue(BatchSize) < 1)
            throw new CliUsageException("--batch-size must be at least 1.");
        bool probe = string.IsNullOrWhiteSpace(text) || text.Trim().Equals("probe", StringComparison.OrdinalIgnoreCase);
        if (probe)
        {
            if (parse.GetValue(Resize) is not null || parse.GetValue(Crop) is not null)
                throw new CliUsageException("--resize and --crop apply to image folders; the probe set's images are fed as they are.");
            var options = new ProbeSetOptions();
            if (parse.GetValue(ProbeCount) is { } n) options = options with { Count = n };
            if (parse.GetValue(ProbeSize) is { } s) options = options with { ImageSize = s };
            options.Validate();
            return new Source(null, options, null, max, cache);
        }
        if (parse.GetValue(ProbeCount) is not null || parse.GetValue(ProbeSize) is not null)
            throw new CliUsageException("--probe-count and --probe-size apply to --data probe only.");
        var (cropHeight, cropWidth) = ImageSizingOptions.ParseCrop(parse.GetValue(Crop));
        var folderOptions = new ImageFolderOptions { ResizeShorterSide = parse.GetValue(Resize), CropHeight = cropHeight, CropWidth = cropWidth };
        folderOptions.Validate();
        return new Source(Path.GetFullPath(text.Trim()), new ProbeSetOptions(), folderOptions, max, cache);
    }

    /// <summary>What --data and its options name; opened (the probe set generated into the cache if needed) by <see cref="Open"/>.</summary>
    /// <param name="FolderOptions">--resize and --crop as given (unset ones null).</param>
    public sealed record Source(string? Folder, ProbeSetOptions Probe, ImageFolderOptions? FolderOptions, int? MaxImages, string CacheFolder)
    {
        /// <summary>How an image folder's images are sized for <paramref name="model"/>: --resize and --crop where
        /// given, else its description's <c>resize</c> and <c>centerCrop</c>, else none; null for the probe set.</summary>
        public ImageFolderOptions? Preprocessing(ModelSession model) => Folder is null ? null : model.ImageSizing(FolderOptions);

        public IEvaluationSet Open(ModelSession model, AnalysisConsole.Bars bars, CancellationToken ct)
        {
            IEvaluationSet set = Folder is null
                ? EvaluationSet.FromProbe(ProbeSet.EnsureBuiltIn(CacheFolder, Probe, bars.ForProbeSet(Probe.Count), ct))
                : ImageFolderSet.Open(Folder, Preprocessing(model));
            return MaxImages is { } max ? EvaluationSet.Limit(set, max) : set;
        }

        /// <summary>"Evaluation set: DIR (20 images, 4 classes; resize 256, centre crop 224x224 from m.unitscope.json)."</summary>
        public string Describe(IEvaluationSet set, ModelSession model)
        {
            string text = $"Evaluation set: {set.Name} ({set.Count} images, {set.ClassNames.Count} classes";
            if (Preprocessing(model) is { } used)
                text += "; images " + ImageSizingOptions.Describe(used, FolderOptions, model);
            return text + ").";
        }

        /// <summary>For --json: <see cref="ImageSizingOptions.Json"/> with the set's class-matching warning.</summary>
        public object PreprocessingJson(ModelSession model, IEvaluationSet set) =>
            ImageSizingOptions.Json(model, Preprocessing(model), ClassWarnings(model, set));

        /// <summary>An image folder whose classes can only be matched to the model's outputs by position says so.</summary>
        public IEnumerable<string> ClassWarnings(ModelSession model, IEvaluationSet set) =>
            Folder is not null && EvaluationSet.MatchedByPosition(set, model.ClassNames) is { } warning ? [warning] : [];
    }
}
