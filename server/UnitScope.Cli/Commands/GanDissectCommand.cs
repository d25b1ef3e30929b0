using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;
using UnitScope.Rendering.Gan;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope gan-dissect GENERATOR --layer L [--segmenter SEG] [--samples N] [--seed S] [--quantile Q] [--iou T] --out DIR</c>:
/// GAN dissection of one generator layer (<see cref="GanDissector"/>). Writes gan-dissection.json, summary.png (labelled
/// units per category), samples.png (the first samples over their object segmentation) and index.html; cached.
/// </summary>
static class GanDissectCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var defaults = new GanDissectionOptions();
        var layer = new Option<string>("--layer") { Description = "The generator layer to dissect (its name in named_modules(), e.g. main.5).", Required = true, HelpName = "L" };
        var segmenter = GanConsole.SegmenterOption();
        var samples = new Option<int>("--samples") { Description = "Latents sampled (seeded).", DefaultValueFactory = _ => defaults.Samples, HelpName = "N" };
        var seed = new Option<int>("--seed") { Description = "Seed of the latents.", DefaultValueFactory = _ => defaults.Seed, HelpName = "S" };
        var quantile = new Option<double>("--quantile") { Description = "Top fraction of each unit's upsampled activations that counts as on.", DefaultValueFactory = _ => defaults.Quantile, HelpName = "Q" };
        var iou = new Option<double>("--iou") { Description = "A unit is labelled when its best IoU exceeds this.", DefaultValueFactory = _ => defaults.IouThreshold, HelpName = "T" };
        var batch = new Option<int>("--batch-size") { Description = "Samples per generator pass (speed and memory only).", DefaultValueFactory = _ => defaults.BatchSize, HelpName = "N" };
        var output = new Option<string>("--out") { Description = "Folder for gan-dissection.json, the PNGs and index.html.", Required = true, HelpName = "DIR" };
        var cache = GanConsole.CacheOption();
        var shared = new ModelOptionSet();
        var command = new Command("gan-dissect", "Label the units of a generator layer by the concepts they draw (GAN dissection): sample, segment, threshold, IoU.")
        {
            layer, segmenter, samples, seed, quantile, iou, batch, output, cache,
        };
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            var options = new GanDissectionOptions
            {
                Samples = parse.GetValue(samples),
                Seed = parse.GetValue(seed),
                Quantile = parse.GetValue(quantile),
                IouThreshold = parse.GetValue(iou),
                BatchSize = parse.GetValue(batch),
            };
            options.Validate();
            string layerName = parse.GetValue(layer)!.Trim();
            using var generator = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            GanDissection result = null!;
            ModelSegmenter? seg = null;
            var cached = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                await DissectionConsole.WithProgress(cli, async bars =>
                {
                    seg = await GanConsole.LoadSegmenterAsync(cli, parse.GetValue(segmenter), cacheFolder, modelOptions.Device, bars, ct);
                    result = await DissectionConsole.Run(() => GanConsole.Dissect(cli, generator, seg, layerName, options, cacheFolder, bars, cached, ct), ct);
                });
                var shown = await Sessions.Background(() => GanSamples.Draw(generator, seg!, 16, options.Seed), ct);
                Directory.CreateDirectory(outDir);
                Sessions.WriteFile(Path.Combine(outDir, "summary.png"), LayerSummaryChart.RenderPng(result.Dissection, images: LayerSummaryChart.GeneratedSamples));
                string category = seg!.Categories.Contains("object") ? "object" : seg.Categories[0];
                Sessions.WriteFile(Path.Combine(outDir, "samples.png"), GanFigures.SamplesPng(shown, category));
            }
            finally
            {
                seg?.Dispose();
            }
            AnalysisPage.WriteJson(Path.Combine(outDir, "gan-dissection.json"), result);
            var counts = LayerSummaryChart.Counts(result.Dissection);
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"{result.Layer}: {result.Dissection.LabelledUnits} of {result.Dissection.Units.Count} units labelled over {options.Samples} samples " +
                $"({(counts.Count == 0 ? "none" : string.Join(", ", counts.Select(c => $"{c.Units} {c.Category}")))}); top {options.Quantile:P1} of each unit's activations, IoU > {options.IouThreshold}.");
            var labelled = result.Dissection.Units.Where(u => u.Label is not null).OrderByDescending(u => u.Label!.Iou).ThenBy(u => u.Unit).ToList();
            string page = AnalysisPage.Write(outDir, $"GAN dissection: {result.Layer}", generator, summary, ["summary.png", "samples.png"],
                (["unit", "concept", "category", "IoU"], labelled.Select(u => new[]
                {
                    u.Unit.ToString(CultureInfo.InvariantCulture), u.Label!.Concept, u.Label.Category, u.Label.Iou.ToString("0.000", CultureInfo.InvariantCulture),
                })), "gan-dissection.json");
            if (json)
            {
                cli.WriteJson(new
                {
                    generator = generator.CheckpointPath,
                    generatorHash = generator.CheckpointHash,
                    cached = cached.Contains(layerName),
                    page,
                    labelledByCategory = result.Dissection.LabelledByCategory,
                    result,
                });
                return ExitCodes.Ok;
            }
            DissectionConsole.PrintSummary(cli, result.Dissection, cached.Contains(layerName));
            var top = result.ConceptUnits.Where(c => c.Units.Count > 0).OrderByDescending(c => c.Units[0].Iou).Take(8);
            cli.Out.MarkupLine("Best units per concept: " + Markup.Escape(string.Join("; ", top.Select(c =>
                $"{c.Concept} {string.Join(",", c.Units.Take(3).Select(u => u.Unit.ToString(CultureInfo.InvariantCulture)))}"))));
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
