using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope ablate MODEL --layer L --units 3,7,12 --data probe|IMAGEFOLDER [--random-control N] --out DIR</c>:
/// accuracy per class before and after zeroing the units (forward hooks; the checkpoint and the model are
/// not changed), and after zeroing as many random units; writes ablation.png, ablation.json and index.html
/// to DIR and prints the classes by change (or the result as JSON).
/// </summary>
static class AblateCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var layer = new Option<string>("--layer") { Description = "Layer whose units to remove, as in named_modules() (see `unitscope layers`).", Required = true, HelpName = "L" };
        var units = new Option<string>("--units") { Description = "Units (channels) to zero, comma-separated; ranges allowed: 3,7,10-12.", Required = true, HelpName = "U,U,…" };
        var random = new Option<int>("--random-control") { Description = "Random unit sets of the same size to remove as a control (averaged); 0: none.", DefaultValueFactory = _ => 3, HelpName = "N" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random control's draws.", DefaultValueFactory = _ => 1, HelpName = "S" };
        var data = EvaluationData.Options();
        var output = new Option<string>("--out") { Description = "Folder for ablation.png, ablation.json and index.html.", Required = true, HelpName = "DIR" };
        var shared = new ModelOptionSet();
        var command = new Command("ablate", "Zero units of a layer and measure accuracy per class before and after, against a random control.")
        {
            layer, units, random, seed, output,
        };
        data.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var request = new AblationRequest
            {
                Layer = parse.GetValue(layer)!.Trim(),
                Units = ParseUnits(parse.GetValue(units)!),
                RandomControls = parse.GetValue(random),
                Seed = parse.GetValue(seed),
                BatchSize = parse.GetValue(data.BatchSize),
            };
            if (request.RandomControls < 0)
                throw new CliUsageException("--random-control must be 0 or more.");
            var source = data.Read(parse);
            string outDir = Path.GetFullPath(parse.GetValue(output)!);

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            session.GetLayer(request.Layer);
            var store = new AnalysisStore(source.CacheFolder);
            AblationResult result = null!;
            IEvaluationSet set = null!;
            bool cached = false;
            var clock = Stopwatch.StartNew();
            await AnalysisConsole.WithProgress(cli, async bars =>
            {
                set = await DissectionConsole.Run(() => source.Open(session, bars, ct), ct);
                cli.Info(source.Describe(set, session));
                foreach (string warning in source.ClassWarnings(session, set)) cli.Warn(warning);
                var key = AnalysisKey.Ablation(session, set, request);
                result = await DissectionConsole.Run(() => store.GetOrCompute(key,
                    () => Ablator.Ablate(session, set, request, bars.ForAblation(), ct), out cached, cli.Info), ct);
            });

            AnalysisConsole.WarnSkipped(cli, result.SkippedImages, "ablation.json");
            Directory.CreateDirectory(outDir);
            Sessions.WriteFile(Path.Combine(outDir, "ablation.png"), AblationChart.RenderPng(result));
            AnalysisPage.WriteJson(Path.Combine(outDir, "ablation.json"), result);
            string page = AnalysisPage.Write(outDir, $"Ablation: {result.Layer} units {string.Join(", ", result.Units)}", session, Summary(result),
                ["ablation.png"], ClassTable(result), "ablation.json");

            if (json)
            {
                cli.WriteJson(new { checkpoint = session.CheckpointPath, checkpointHash = session.CheckpointHash, cached, page,
                    preprocessing = source.PreprocessingJson(session, set), skippedImages = result.SkippedImages.Count, result });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine($"[bold]{Markup.Escape(result.Layer)}[/]: units {Markup.Escape(string.Join(", ", result.Units))} of {result.LayerUnits} removed" +
                $"{(cached ? " [grey](from the cache)[/]" : "")}");
            cli.Out.MarkupLine(Markup.Escape(Summary(result)));
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Class").AddColumn(new TableColumn("Images").RightAligned()).AddColumn(new TableColumn("Before").RightAligned())
                .AddColumn(new TableColumn("After").RightAligned()).AddColumn(new TableColumn("Change").RightAligned());
            if (result.RandomAccuracyAfter is not null)
                table.AddColumn(new TableColumn("Random").RightAligned());
            foreach (var c in result.Classes)
            {
                var row = new List<string> { Markup.Escape(c.ClassName), c.Images.ToString(CultureInfo.InvariantCulture), Pct(c.Before), Pct(c.After),
                    (c.Change * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) };
                if (c.RandomAfter is { } r) row.Add(Pct(r));
                table.AddRow([.. row]);
            }
            cli.Out.Write(table);
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/] ({clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    static string Summary(AblationResult r) =>
        $"Overall accuracy {Pct(r.AccuracyBefore)} → {Pct(r.AccuracyAfter)}" +
        (r.RandomAccuracyAfter is { } random ? $"; {r.Units.Count} random units ({r.RandomUnitSets.Count} draws): {Pct(random)}" : "") +
        $" — {r.Images} images of {r.DatasetName}" +
        (r.SkippedImages.Count > 0 ? $" ({AnalysisConsole.Skipped(r.SkippedImages.Count)} and {(r.SkippedImages.Count == 1 ? "was" : "were")} left out)." : ".");

    static (string[] Head, IEnumerable<string[]> Rows) ClassTable(AblationResult r) =>
        (r.RandomAccuracyAfter is null ? ["class", "images", "before", "after", "change"] : ["class", "images", "before", "after", "change", "random units"],
         r.Classes.Select(c => new[] { c.ClassName, c.Images.ToString(CultureInfo.InvariantCulture), Pct(c.Before), Pct(c.After),
             (c.Change * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) }
             .Concat(c.RandomAfter is { } x ? [Pct(x)] : []).ToArray()));

    /// <summary>"3,7, 10-12" → [3, 7, 10, 11, 12].</summary>
    internal static IReadOnlyList<int> ParseUnits(string text)
    {
        var units = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-', 2, StringSplitOptions.TrimEntries);
            if (range.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                int a = int.Parse(range[0], CultureInfo.InvariantCulture), b = int.Parse(range[^1], CultureInfo.InvariantCulture);
                if (b >= a && b - a < 100_000)
                {
                    units.AddRange(Enumerable.Range(a, b - a + 1));
                    continue;
                }
            }
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"--units '{text}': '{part}' is not a unit number or a range; give e.g. 3,7,12 or 10-19.");
        }
        if (units.Count == 0)
            throw new CliUsageException("--units names no unit: give one or more, e.g. --units 3,7,12.");
        return units;
    }
}

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

/// <summary>Progress bars on stderr for <c>occlude</c>, <c>ablate</c> and <c>rank</c> (as <c>dissect</c> draws them).</summary>
static class AnalysisConsole
{
    public static Task WithProgress(CliContext cli, Func<Bars, Task> body) => ProgressDisplay.Run(cli, ctx => body(new Bars(ctx)));

    /// <summary>Images shown by name in the warning about unreadable ones (the JSON file lists them all).</summary>
    const int SkippedShown = 10;

    /// <summary>On stderr: how many images could not be read and were left out, and the first of them with why.</summary>
    public static void WarnSkipped(CliContext cli, IReadOnlyList<SkippedImage> skipped, string jsonFile)
    {
        if (skipped.Count == 0) return;
        cli.Warn($"{Skipped(skipped.Count)}, left out of the results:");
        foreach (var image in skipped.Take(SkippedShown))
            cli.Info("  " + image.Problem);
        if (skipped.Count > SkippedShown)
            cli.Info($"  … and {skipped.Count - SkippedShown} more (all in {jsonFile}).");
    }

    /// <summary>"1 image could not be read", "3 images could not be read".</summary>
    public static string Skipped(int count) =>
        count == 1 ? "1 image could not be read" : $"{count.ToString(CultureInfo.InvariantCulture)} images could not be read";

    /// <summary>One bar per phase, with a rate.</summary>
    public sealed class Bars(ProgressContext ctx)
    {
        readonly object _gate = new();
        readonly Dictionary<string, (ProgressTask Task, Stopwatch Clock)> _tasks = new(StringComparer.Ordinal);

        public IProgress<int> ForProbeSet(int total) => new SyncProgress<int>(done => Update("generating the probe set", done, total, "images"));

        public IProgress<Engine.Analysis.Occlusion.OcclusionProgress> ForOcclusion() =>
            new SyncProgress<Engine.Analysis.Occlusion.OcclusionProgress>(p => Update("occluding", p.PositionsDone, p.PositionsTotal, "positions"));

        public IProgress<Engine.Analysis.Seeing.TopActivationProgress> ForTopActivations() =>
            new SyncProgress<Engine.Analysis.Seeing.TopActivationProgress>(p => Update(
                p.Phase == AnalysisPhase.Projections ? "projections" : "strongest activations", p.Done, p.Total,
                p.Phase == AnalysisPhase.Projections ? "activations" : "images"));

        public IProgress<AblationProgress> ForAblation() => new SyncProgress<AblationProgress>(p => Update(p.Phase switch
        {
            AnalysisPhase.Ablation => "intact model, units removed, random control",
            AnalysisPhase.Units => "each unit removed alone",
            AnalysisPhase.Curve => "top-k and random-k removed",
            AnalysisPhase.Activations => "unit activations",
            _ => p.Phase.ToString(),
        }, p.Done, p.Total, p.Phase == AnalysisPhase.Activations ? "images" : "samples"));

        /// <summary>Optimisation steps; <paramref name="each"/> also sees every report (the round-end previews).</summary>
        public IProgress<Engine.Analysis.Maximization.MaximizationProgress> ForMaximization(Action<Engine.Analysis.Maximization.MaximizationProgress>? each = null) =>
            new SyncProgress<Engine.Analysis.Maximization.MaximizationProgress>(p =>
            {
                Update($"optimising (round {p.Round}/{p.Rounds}, activation {p.Activation:G4})", p.StepsDone, p.StepsTotal, "steps", "optimising");
                each?.Invoke(p);
            });

        public IProgress<Engine.Analysis.Invariance.InvarianceProgress> ForInvariance() =>
            new SyncProgress<Engine.Analysis.Invariance.InvarianceProgress>(p => Update("transforming", p.Done, p.Total, "images"));

        public IProgress<Engine.Analysis.Correspondence.CorrespondenceProgress> ForCorrespondence() =>
            new SyncProgress<Engine.Analysis.Correspondence.CorrespondenceProgress>(p => Update("occluding parts", p.Done, p.Total, "images"));

        public IProgress<Engine.Analysis.ExplanatoryGraph.GraphProgress> ForGraph() =>
            new SyncProgress<Engine.Analysis.ExplanatoryGraph.GraphProgress>(p => Update(
                p.Phase == AnalysisPhase.Peaks ? "activation peaks" : "mining the layers", p.Done, p.Total,
                p.Phase == AnalysisPhase.Peaks ? "images" : "iterations"));

        public IProgress<Engine.Analysis.Adversarial.AttackProgress> ForAttack() =>
            new SyncProgress<Engine.Analysis.Adversarial.AttackProgress>(p => Update(
                p.Phase == AnalysisPhase.Attack ? "attacking" : "unit changes", p.Done, p.Total, p.Phase == AnalysisPhase.Attack ? "steps" : "images"));

        public IProgress<Engine.Analysis.Evolution.EvolutionProgress> ForEvolution() =>
            new SyncProgress<Engine.Analysis.Evolution.EvolutionProgress>(p => Update($"checkpoint {p.Checkpoint}/{p.Checkpoints}", p.ImagesDone, p.ImagesTotal, "images"));

        public IProgress<Engine.Analysis.Evolution.ComparisonProgress> ForComparison() =>
            new SyncProgress<Engine.Analysis.Evolution.ComparisonProgress>(p => Update("comparing", p.Done, p.Total, "images"));

        void Update(string phase, long done, long total, string unit) => Update(phase, done, total, unit, phase);

        /// <summary>Moves the bar of <paramref name="bar"/> (a phase: a new one finishes the others), described as <paramref name="phase"/>.</summary>
        void Update(string phase, long done, long total, string unit, string bar)
        {
            lock (_gate)
            {
                if (!_tasks.TryGetValue(bar, out var entry))
                {
                    foreach (var (task, _) in _tasks.Values)
                        if (!task.IsFinished) task.Value = task.MaxValue;
                    entry = (ctx.AddTask(Markup.Escape(phase), maxValue: Math.Max(1, total)), Stopwatch.StartNew());
                    _tasks[bar] = entry;
                }
                var (current, clock) = entry;
                current.MaxValue = Math.Max(1, total);
                current.Value = Math.Min(done, current.MaxValue);
                double seconds = clock.Elapsed.TotalSeconds;
                if (seconds > 0.5 && done > 0)
                    current.Description = Markup.Escape($"{phase} · {done / seconds:0.#} {unit}/s");
            }
        }
    }
}

/// <summary>The small offline HTML page each analysis command writes beside its PNGs and JSON.</summary>
static class AnalysisPage
{
    static readonly System.Text.Json.JsonSerializerOptions Json = new(DissectionStore.JsonOptions) { WriteIndented = true };

    public static void WriteJson<T>(string path, T value) => Sessions.WriteFile(path, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, Json));

    /// <summary>Writes DIR/index.html: title, summary, the images, a table, a link to the JSON; returns its path.</summary>
    public static string Write(string folder, string title, ModelSession session, string summary, IEnumerable<string> images,
        (string[] Head, IEnumerable<string[]> Rows) table, string json) =>
        Write(folder, title, $"{session.Architecture} · {Path.GetFileName(session.CheckpointPath)} · sha256 {session.CheckpointHash[..12]}…", summary, images, table, json);

    /// <summary>As the other, with <paramref name="meta"/> (what the page is about) on the grey line.</summary>
    public static string Write(string folder, string title, string meta, string summary, IEnumerable<string> images,
        (string[] Head, IEnumerable<string[]> Rows) table, string json)
    {
        var html = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(s);
        html.Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'\">")
            .Append("<title>").Append(E(title)).Append("</title><style>")
            .Append("body{font-family:'DejaVu Sans',system-ui,sans-serif;color:#222;margin:24px;max-width:1000px}")
            .Append("h1{font-size:20px}p.meta{color:#666;font-size:13px}img{max-width:100%;display:block;margin:16px 0;border:1px solid #eee}")
            .Append("table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}")
            .Append("td:first-child,th:first-child{text-align:left}th{color:#666;font-weight:normal}")
            .Append("</style></head><body>\n")
            .Append("<h1>").Append(E(title)).Append("</h1>\n")
            .Append("<p>").Append(E(summary)).Append("</p>\n")
            .Append("<p class=\"meta\">").Append(E(meta))
            .Append(" · <a href=\"").Append(E(json)).Append("\">").Append(E(json)).Append("</a></p>\n");
        foreach (string image in images)
            html.Append("<img src=\"").Append(E(image)).Append("\" alt=\"").Append(E(image)).Append("\">\n");
        var rows = table.Rows.ToList();
        if (rows.Count > 0) // none: nothing to tabulate (occlusion of a one-output model has no classes)
        {
            html.Append("<table><thead><tr>");
            foreach (string h in table.Head) html.Append("<th>").Append(E(h)).Append("</th>");
            html.Append("</tr></thead><tbody>\n");
            foreach (var row in rows)
            {
                html.Append("<tr>");
                foreach (string cell in row) html.Append("<td>").Append(E(cell)).Append("</td>");
                html.Append("</tr>\n");
            }
            html.Append("</tbody></table>\n");
        }
        html.Append("</body></html>\n");
        string path = Path.Combine(folder, "index.html");
        Sessions.WriteFile(path, Encoding.UTF8.GetBytes(html.ToString()));
        return path;
    }
}
