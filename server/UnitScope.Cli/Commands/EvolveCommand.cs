using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope evolve 'runs/exp1/*.pth' --layer L [--layer L2] [--dissect] [--max-images 64] --out DIR</c>: a training run
/// as a timeline. The checkpoints are ordered by epoch/step (their own entries, else their names); for each, the layers'
/// activation statistics on a small fixed image set, their weights' norm and change from the previous checkpoint, and
/// with --dissect the labelled units per concept category. Writes evolve.json and index.html to DIR; every checkpoint's
/// summary is cached by its hash, so a rerun, or a run that grew by a checkpoint, computes only what is new.
/// </summary>
static class EvolveCommand
{
    /// <summary>Images the statistics are over when --max-images is not given: small, fixed, enough for stable means.</summary>
    const int DefaultImages = 64;

    public static Command Create(CliContext cli)
    {
        var pattern = new Argument<string>("RUN")
        {
            Description = "The run's checkpoints: a folder, or a folder and a name pattern with * and ? (quote it: 'runs/exp1/*.pth').",
        };
        var layers = new Option<string[]>("--layer") { Description = "A layer to follow (repeat for several).", Required = true, HelpName = "L", AllowMultipleArgumentsPerToken = false };
        var dissect = new Option<bool>("--dissect") { Description = "Also dissect the layers of every checkpoint on the probe set (cached per checkpoint): labelled units per concept category." };
        var output = new Option<string>("--out") { Description = "Folder for evolve.json and index.html.", Required = true, HelpName = "DIR" };
        var data = EvaluationData.Options();
        data.Data.Description = "Images for the statistics: \"probe\" (the built-in probe set) or a Broden-format folder (with index.csv); --dissect uses it as the probe set.";
        data.MaxImages.Description = $"Use the first N images for the statistics; default {DefaultImages}.";
        data.BatchSize.DefaultValueFactory = _ => new EvolutionOptions().BatchSize;
        data.BatchSize.Description = "Images per forward pass (speed and memory only).";
        var shared = new ModelOptionSet();
        var command = new Command("evolve", "A training run as a timeline: per checkpoint (ordered by epoch/step), activation statistics, weight change and optionally dissection of the chosen layers.")
        {
            pattern, layers, dissect, output,
        };
        data.AddTo(command);
        shared.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var source = data.Read(parse);
            if (source.FolderOptions is not null && source.Folder is { } f && !File.Exists(Path.Combine(f, "index.csv")))
                throw new CliUsageException("--data for evolve is \"probe\" or a Broden-format folder (with index.csv).");
            var options = new EvolutionOptions
            {
                Layers = [.. parse.GetValue(layers)!.SelectMany(l => l.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
                BatchSize = parse.GetValue(data.BatchSize),
                Dissect = parse.GetValue(dissect),
            };
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            var run = await Sessions.Background(() => RunCheckpoints.Find(parse.GetValue(pattern)!, ct), ct);
            cli.Info($"{run.Count} checkpoints, in training order: {string.Join(", ", run.Select(c => Path.GetFileName(c.Path)))}");

            var store = new AnalysisStore(source.CacheFolder);
            var service = new DissectionService(new DissectionStore(source.CacheFolder), log: cli.Info);
            EvolutionResult result = null!;
            await AnalysisConsole.WithProgress(cli, async bars =>
            {
                var probe = await DissectionConsole.Run(() => source.Folder is { } folder ? BrodenDataset.Open(folder)
                    : ProbeSet.EnsureBuiltIn(source.CacheFolder, source.Probe, bars.ForProbeSet(source.Probe.Count), ct), ct);
                var images = ImageSet.Limit(ImageSet.FromBroden(probe), source.MaxImages ?? DefaultImages);
                ModelSession Load(string path)
                {
                    try { return ModelSession.Load(path, modelOptions, ct); }
                    catch (UnitScopeException e) { throw ModelOptionSet.InCliTerms(e); }
                }
                result = await DissectionConsole.Run(() => TrainingRun.Evolve(run, Load, images, options, store, service, probe, bars.ForEvolution(), cli.Info, ct), ct);
            });

            Directory.CreateDirectory(outDir);
            AnalysisPage.WriteJson(Path.Combine(outDir, "evolve.json"), result);
            var rows = result.Checkpoints.SelectMany(c => c.Layers.Select(l => new[]
            {
                string.Join(" = ", c.Paths.Select(Path.GetFileName)),
                c.Epoch?.ToString(CultureInfo.InvariantCulture) ?? "–",
                l.Layer,
                F(l.MeanActivation),
                Percent(l.DeadFraction),
                Percent(l.SaturatedFraction),
                F(l.WeightNorm),
                F(l.WeightChange),
                l.Labelled is { } n ? $"{n} ({Percent(l.LabelledFraction)})" : "–",
                l.LabelledByCategory is { } by ? string.Join(", ", by.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value}")) : "–",
            })).ToList();
            string summary = $"{run.Count} checkpoint files ({result.Checkpoints.Count} distinct) of {Path.GetDirectoryName(run[0].Path)}, layers {string.Join(", ", result.Layers)}, " +
                $"statistics on {result.Images} images of {result.DatasetName}. Dead: units never above 0; saturated: activations at or below 0; " +
                "weight change: ‖W − W_prev‖ / ‖W_prev‖ of the layer's convolution.";
            string page = AnalysisPage.Write(outDir, "Evolution across checkpoints", Title(run), summary, [],
                (["checkpoint", "epoch", "layer", "mean", "dead", "saturated", "‖W‖", "change", "labelled", "concepts"], rows), "evolve.json");
            if (json)
            {
                cli.WriteJson(new { page, result });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary));
            foreach (var row in rows)
                cli.Out.MarkupLine(Markup.Escape($"  {row[0]} (epoch {row[1]}) {row[2]}: dead {row[4]}, saturated {row[5]}, weight change {row[7]}, labelled {row[8]}"));
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static string Title(IReadOnlyList<RunCheckpoint> run) => Path.GetDirectoryName(run[0].Path) ?? "";

    static string F(double? v) => v is { } x ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "–";

    static string Percent(double? v) => v is { } x ? x.ToString("0.0%", CultureInfo.InvariantCulture) : "–";
}
