using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Report;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope dissect --model X.pth --layer L[,L2…] --data probe|BRODEN_DIR --out DIR</c>: network
/// dissection of the layers over a probe set, through the result store (a second run is read back,
/// not computed), then an HTML report in DIR and a per-layer summary on stdout (or the results as JSON).
/// </summary>
static class DissectCommand
{
    const int TopUnitsShown = 10;

    public static Command Create(CliContext cli)
    {
        var model = new Option<string>("--model") { Description = "Checkpoint file (.pth, .pt, .safetensors).", Required = true, HelpName = "FILE" };
        var layer = new Option<string[]>("--layer")
        {
            Description = "Layer(s) to dissect, comma-separated or repeated, as in named_modules() (see `unitscope layers`).",
            Required = true,
            HelpName = "L[,L2…]",
            AllowMultipleArgumentsPerToken = false,
        };
        var data = new Option<string>("--data")
        {
            Description = "Probe data: \"probe\" (the built-in generated set, made once into the cache) or a Broden-format folder (with index.csv).",
            DefaultValueFactory = _ => "probe",
            HelpName = "probe|DIR",
        };
        var defaults = new DissectionOptions();
        var quantile = new Option<double>("--quantile") { Description = "Top fraction of each unit's activations that counts as \"on\" (t_u is the 1 − q quantile).", DefaultValueFactory = _ => defaults.Quantile, HelpName = "Q" };
        var iou = new Option<double>("--iou-threshold") { Description = "A unit is labelled with its best concept when their IoU exceeds this.", DefaultValueFactory = _ => defaults.IouThreshold, HelpName = "T" };
        var top = new Option<int>("--top-images") { Description = "Top-activating images kept (and shown) per unit.", DefaultValueFactory = _ => defaults.TopImages, HelpName = "K" };
        var maxImages = new Option<int?>("--max-images") { Description = "Use only the first N images of the probe data; default: all.", HelpName = "N" };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass (speed and memory only: results are reused across batch sizes).", DefaultValueFactory = _ => defaults.BatchSize, HelpName = "N" };
        var output = new Option<string>("--out") { Description = "Folder for the HTML report (index.html, images/, dissection.json).", Required = true, HelpName = "DIR" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder for results and the built-in probe set; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
        var probeCount = new Option<int?>("--probe-count") { Description = "With --data probe: how many images the generated set has (default 2000).", HelpName = "N" };
        var probeSize = new Option<int?>("--probe-size") { Description = "With --data probe: side of the generated images in pixels (default 112).", HelpName = "PX" };
        var shared = new ModelOptionSet();
        var command = new Command("dissect", "Label what each unit of a layer detects (network dissection over a probe set) and write an HTML report.")
        {
            model, layer, data, quantile, iou, top, maxImages, batch, output, cache, probeCount, probeSize,
        };
        shared.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var layers = LayerList(parse.GetValue(layer) ?? []);
            var options = new DissectionOptions
            {
                Quantile = parse.GetValue(quantile),
                IouThreshold = parse.GetValue(iou),
                TopImages = parse.GetValue(top),
                MaxImages = parse.GetValue(maxImages),
                BatchSize = parse.GetValue(batch),
            };
            DissectionService.Normalize(options, int.MaxValue); // bad values fail before the model loads
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            var source = DataSource.Parse(parse.GetValue(data)!, parse.GetValue(probeCount), parse.GetValue(probeSize));
            string outDir = Path.GetFullPath(parse.GetValue(output)!);

            using var session = await Sessions.LoadAsync(cli, parse.GetValue(model)!, modelOptions, ct);
            foreach (string name in layers)
                CheckLayer(session, name);

            var service = new DissectionService(new DissectionStore(cacheFolder), log: cli.Info);
            var cached = new HashSet<string>(StringComparer.Ordinal);
            IReadOnlyList<LayerDissection> results = [];
            string report = "";
            var clock = Stopwatch.StartNew();
            await WithProgress(cli, async bars =>
            {
                var dataset = await Run(() => source.Open(cacheFolder, bars.ForProbeSet(source.Probe.Count), ct), ct);
                cli.Info($"Probe data: {dataset.Root} ({dataset.Count} images, {dataset.Concepts.Count} concepts).");
                results = await Run(() => service.Dissect(session, dataset, layers, options, bars.ForDissection(cached), ct), ct);
                report = await Run(() => DissectionReport.Write(outDir, session, dataset, results,
                    new ReportOptions { BatchSize = options.BatchSize }, bars.ForReport(), ct), ct);
            });

            if (json)
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    checkpointHash = session.CheckpointHash,
                    report,
                    cached = layers.Where(cached.Contains).ToList(),
                    layers = results,
                });
                return ExitCodes.Ok;
            }
            foreach (var result in results)
                PrintSummary(cli, result, cached.Contains(result.Layer));
            cli.Out.MarkupLine($"Report: [green]{Markup.Escape(report)}[/] ({clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>"a,b" "c" → [a, b, c], without blanks or repeats.</summary>
    internal static IReadOnlyList<string> LayerList(IEnumerable<string> values)
    {
        var layers = values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Distinct(StringComparer.Ordinal).ToList();
        if (layers.Count == 0)
            throw new CliUsageException("--layer names no layer: give one or more, e.g. --layer features.8 or --layer layer3,layer4.");
        return layers;
    }

    /// <summary>Dissection needs units with maps: an unknown layer or one without [C, H, W] output is a user error.</summary>
    static void CheckLayer(ModelSession session, string name)
    {
        var info = session.GetLayer(name);
        if (info.OutputShape.Count != 3)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{name}' ({info.Kind}, output {Output.Shape(info.OutputShape)}) has no spatial maps to dissect: pick a convolutional layer (see `unitscope layers`).");
    }

    /// <summary>Synchronous Engine work on the thread pool, awaited to its end so a cancelled run cleans up after itself.</summary>
    static async Task<T> Run<T>(Func<T> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return await Task.Run(work, CancellationToken.None);
    }

    static void PrintSummary(CliContext cli, LayerDissection layer, bool cached)
    {
        var perCategory = Rendering.Charts.LayerSummaryChart.Counts(layer);
        string categories = perCategory.Count == 0
            ? "no unit labelled"
            : string.Join(" · ", perCategory.Select(c => $"{c.Units} {c.Category}"));
        cli.Out.MarkupLine($"[bold]{Markup.Escape(layer.Layer)}[/]: {layer.LabelledUnits} of {layer.Units.Count} units labelled ({Markup.Escape(categories)})" +
            $"{(cached ? " [grey](from the cache)[/]" : "")}");
        var best = layer.Units.Where(u => u.Label is not null).OrderByDescending(u => u.Label!.Iou).ThenBy(u => u.Unit).Take(TopUnitsShown).ToList();
        if (best.Count == 0)
            return;
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("Unit").RightAligned()).AddColumn("Label").AddColumn("Category").AddColumn(new TableColumn("IoU").RightAligned());
        foreach (var unit in best)
            table.AddRow(unit.Unit.ToString(CultureInfo.InvariantCulture), Markup.Escape(unit.Label!.Concept), Markup.Escape(unit.Label.Category),
                unit.Label.Iou.ToString("0.000", CultureInfo.InvariantCulture));
        cli.Out.Write(table);
    }

    /// <summary>"probe" (the built-in set, with its generation options) or a Broden folder.</summary>
    sealed record DataSource(string? Folder, ProbeSetOptions Probe)
    {
        public static DataSource Parse(string text, int? count, int? size)
        {
            var probe = new ProbeSetOptions();
            if (count is { } n) probe = probe with { Count = n };
            if (size is { } s) probe = probe with { ImageSize = s };
            if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("probe", StringComparison.OrdinalIgnoreCase))
            {
                probe.Validate();
                return new DataSource(null, probe);
            }
            if (count is not null || size is not null)
                throw new CliUsageException("--probe-count and --probe-size apply to --data probe only.");
            string folder = Path.GetFullPath(text.Trim());
            if (File.Exists(folder))
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"--data '{text}' is a file: give a Broden-format folder (with index.csv, label.csv, category.csv) or \"probe\".");
            if (!Directory.Exists(folder))
                throw new UnitScopeException(EngineErrorKind.FileNotFound,
                    $"--data folder not found: '{folder}'. Give a Broden-format folder (with index.csv) or \"probe\" for the built-in set.");
            if (!File.Exists(Path.Combine(folder, "index.csv")))
                throw new UnitScopeException(EngineErrorKind.FileNotFound,
                    $"--data '{folder}' is not a Broden-format folder: it has no index.csv.");
            return new DataSource(folder, probe);
        }

        public ISegmentationDataset Open(string cacheFolder, IProgress<int> generated, CancellationToken ct) =>
            Folder is null ? ProbeSet.EnsureBuiltIn(cacheFolder, Probe, generated, ct) : BrodenDataset.Open(Folder);
    }

    /// <summary>Runs <paramref name="body"/> with a Spectre progress display on stderr: a live bar on a terminal, milestone lines otherwise.</summary>
    static async Task WithProgress(CliContext cli, Func<ProgressBars, Task> body)
    {
        var console = ReferenceEquals(cli.StdErr, Console.Error) && !Console.IsErrorRedirected
            ? AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(Console.Error),
                Ansi = AnsiSupport.Detect,
                ColorSystem = ColorSystemSupport.Detect,
                Interactive = InteractionSupport.Detect,
            })
            : cli.Err;
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(ctx => body(new ProgressBars(ctx)));
    }

    /// <summary>One bar per phase (probe set, thresholds, IoU per layer, report per layer), with images/s.</summary>
    sealed class ProgressBars(ProgressContext ctx)
    {
        readonly object _gate = new();
        readonly Dictionary<string, (ProgressTask Task, Stopwatch Clock)> _tasks = new(StringComparer.Ordinal);
        ProgressTask? _current;

        public IProgress<int> ForProbeSet(int total) => new Sync<int>(done => Update("generating the probe set", done, total, "images"));

        public IProgress<DissectionProgress> ForDissection(HashSet<string> cached) => new Sync<DissectionProgress>(p =>
        {
            if (p.Phase == DissectionService.CachedPhase && p.CompletedLayer is { } hit)
            {
                lock (cached) cached.Add(hit.Layer);
                Update($"{hit.Layer}: from the cache", 1, 1, null);
                return;
            }
            string what = p.Phase switch
            {
                "thresholds" => "pass 1: unit thresholds",
                "iou" => $"pass 2: IoU{(p.Layer is { } l ? " of " + l : "")}",
                _ => p.Phase,
            };
            Update(what, p.ImagesDone, p.ImagesTotal, "images");
        });

        public IProgress<ReportProgress> ForReport() => new Sync<ReportProgress>(p => Update($"report: {p.Layer} unit cards", p.UnitsDone, p.UnitsTotal, "units"));

        void Update(string phase, int done, int? total, string? unit)
        {
            lock (_gate)
            {
                if (!_tasks.TryGetValue(phase, out var entry))
                {
                    if (_current is { IsFinished: false } previous)
                        previous.Value = previous.MaxValue;
                    entry = (ctx.AddTask(Markup.Escape(phase), maxValue: Math.Max(1, total ?? done)), Stopwatch.StartNew());
                    _tasks[phase] = entry;
                    _current = entry.Task;
                }
                var (task, clock) = entry;
                if (total is { } t && t > 0) task.MaxValue = t;
                else if (done > task.MaxValue) task.MaxValue = done;
                task.Value = Math.Min(done, task.MaxValue);
                double seconds = clock.Elapsed.TotalSeconds;
                if (unit is not null && seconds > 0.5 && done > 0)
                    task.Description = Markup.Escape($"{phase} · {done / seconds:0.#} {unit}/s");
            }
        }
    }

    /// <summary>Reports on the reporting thread (unlike <see cref="Progress{T}"/>, which posts and can arrive after the run ended).</summary>
    sealed class Sync<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
