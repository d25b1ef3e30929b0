using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Analysis.Dissection.Sharding;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Report;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope dissect X.pth --layer L[,L2…] --data probe|BRODEN_DIR --out DIR</c>: network
/// dissection of the layers over a probe set, through the result store (a second run is read back,
/// not computed), then an HTML report in DIR and a per-layer summary on stdout (or the results as JSON).
/// Split across machines by images with <c>--shard i/N --partial DIR</c> and <c>--merge DIR</c> (<see cref="DissectShards"/>).
/// </summary>
static class DissectCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
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
        var output = new Option<string?>("--out") { Description = "Folder for the HTML report (index.html, images/, dissection.json); required except with --shard.", HelpName = "DIR" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder for results and the built-in probe set; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
        var probeCount = new Option<int?>("--probe-count") { Description = "With --data probe: how many images the generated set has (default 2000).", HelpName = "N" };
        var probeSize = new Option<int?>("--probe-size") { Description = "With --data probe: side of the generated images in pixels (default 112).", HelpName = "PX" };
        var resizeProbe = new Option<bool>("--resize-probe")
        {
            Description = "Resize the probe images and their masks together to the model's input size (masks by nearest neighbour); " +
                          "default: images are resized for the forward pass only and unit maps are upsampled to the masks.",
        };
        var shards = new DissectShards();
        var shared = new ModelOptionSet();
        var command = new Command("dissect", "Label what each unit of a layer detects (network dissection over a probe set) and write an HTML report.")
        {
            layer, data, quantile, iou, top, maxImages, batch, output, cache, probeCount, probeSize, resizeProbe,
        };
        shards.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
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
            var (shard, partial, merge) = shards.Read(parse, parse.GetValue(output) is not null);
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            var source = DataSource.Parse(parse.GetValue(data)!, parse.GetValue(probeCount), parse.GetValue(probeSize));
            string outDir = Path.GetFullPath(parse.GetValue(output) ?? ".");

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            foreach (string name in layers)
                CheckLayer(session, name);

            var service = new DissectionService(new DissectionStore(cacheFolder), merge is null ? null : DissectShards.MergeRunner(merge), log: cli.Info);
            var cached = new HashSet<string>(StringComparer.Ordinal);
            IReadOnlyList<LayerDissection> results = [];
            var notes = new List<string>();
            string report = "";
            var clock = Stopwatch.StartNew();
            ShardManifest? shardPart = null;
            await DissectionConsole.WithProgress(cli, async bars =>
            {
                var dataset = await DissectionConsole.Run(() => source.Open(cacheFolder, bars.ForProbeSet(source.Probe.Count), ct), ct);
                cli.Info($"Probe data: {dataset.Root} ({dataset.Count} images, {dataset.Concepts.Count} concepts).");
                if (parse.GetValue(resizeProbe))
                {
                    var input = session.Input;
                    dataset = new ResizedProbeSet(dataset, input.Height, input.Width, input.Resampling);
                    notes.Add($"Probe images and their masks are resized together to the model's {input.Width}x{input.Height} input " +
                              $"(images {input.Resampling.Name()} as PIL, masks by nearest neighbour).");
                }
                else if (await DissectionConsole.Run(() => ResizedProbeSet.SizeNote(dataset, session.Input,
                             "--resize-probe" + (source.Folder is null ? $" (or --probe-size {session.Input.Width} to generate the probe set at that size)" : "")), ct)
                         is { } note)
                    notes.Add(note);
                foreach (string n in notes) cli.Info("Note: " + n);
                if (shard is not null)
                {
                    shardPart = await DissectShards.RunShard(session, dataset, layers, options, shard, partial!, bars, ct);
                    return;
                }
                // Refused before the store is asked: a stored result must not hide shards that do not fit.
                merge?.CheckFits(session.CheckpointHash, dataset, layers, DissectionService.Normalize(options, dataset.Count));
                results = await DissectionConsole.Run(() => service.Dissect(session, dataset, layers, options, bars.ForDissection(cached), ct), ct);
                report = await DissectionConsole.Run(() => DissectionConsole.WriteReport(outDir, session, dataset, results, options.BatchSize, bars, ct), ct);
            });
            if (shardPart is not null)
                return DissectShards.PrintShard(cli, shardPart, partial!, clock.Elapsed, json);
            AnalysisConsole.WarnSkipped(cli, results.Count == 0 ? [] : results[0].SkippedImages, "dissection.json");

            if (json)
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    checkpointHash = session.CheckpointHash,
                    report,
                    cached = layers.Where(cached.Contains).ToList(),
                    notes,
                    layers = results,
                });
                return ExitCodes.Ok;
            }
            DissectionConsole.PrintResults(cli, results, cached, report, clock.Elapsed);
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
}
