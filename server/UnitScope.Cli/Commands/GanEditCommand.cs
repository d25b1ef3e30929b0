using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Gan;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope gan-edit GENERATOR --layer L --concept C [--units K] [--region X0,Y0,X1,Y1] [--samples N] --out DIR</c>:
/// ablates the concept's top k units of the layer (against k random units) and, with --region, inserts the concept
/// there (<see cref="GanEditor"/>), measuring the concept's segmented area. The layer's dissection comes from the cache
/// (or is computed first, as <c>gan-dissect</c> with its defaults would). Writes ablation.png, insertion.png,
/// gan-edit.json and index.html.
/// </summary>
static class GanEditCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var defaults = new GanEditOptions();
        var dissectDefaults = new GanDissectionOptions();
        var layer = new Option<string>("--layer") { Description = "The generator layer whose units are edited.", Required = true, HelpName = "L" };
        var concept = new Option<string>("--concept") { Description = "The concept whose units are ablated or inserted (a segmenter concept, e.g. tree).", Required = true, HelpName = "C" };
        var units = new Option<int>("--units") { Description = "k: the concept's top units by IoU that are edited.", DefaultValueFactory = _ => defaults.Units, HelpName = "K" };
        var region = new Option<string?>("--region") { Description = "Insert the concept here: X0,Y0,X1,Y1 in generated-image pixels (X1, Y1 exclusive).", HelpName = "X0,Y0,X1,Y1" };
        var samples = new Option<int>("--samples") { Description = "Samples measured.", DefaultValueFactory = _ => defaults.Samples, HelpName = "N" };
        var seed = new Option<int>("--seed") { Description = "Seed of the measured samples' latents (other than the dissection's by default).", DefaultValueFactory = _ => defaults.Seed, HelpName = "S" };
        var random = new Option<int>("--random") { Description = "Draws of k random units ablated as the control.", DefaultValueFactory = _ => defaults.RandomDraws, HelpName = "R" };
        var dissectSamples = new Option<int>("--dissect-samples") { Description = "Samples of the layer's dissection (as gan-dissect --samples).", DefaultValueFactory = _ => dissectDefaults.Samples, HelpName = "N" };
        var segmenter = GanConsole.SegmenterOption();
        var output = new Option<string>("--out") { Description = "Folder for the PNGs, gan-edit.json and index.html.", Required = true, HelpName = "DIR" };
        var cache = GanConsole.CacheOption();
        var shared = new ModelOptionSet();
        var command = new Command("gan-edit", "Ablate a concept's units in a generator layer (vs random units) and insert it in a region; measure its segmented area.")
        {
            layer, concept, units, region, samples, seed, random, dissectSamples, segmenter, output, cache,
        };
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            var options = new GanEditOptions
            {
                Concept = parse.GetValue(concept)!.Trim(),
                Units = parse.GetValue(units),
                Samples = parse.GetValue(samples),
                Seed = parse.GetValue(seed),
                RandomDraws = parse.GetValue(random),
                Region = parse.GetValue(region) is { } r ? ParseRegion(r) : null,
            };
            var dissectOptions = dissectDefaults with { Samples = parse.GetValue(dissectSamples) };
            dissectOptions.Validate();
            string layerName = parse.GetValue(layer)!.Trim();
            using var generator = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            GanAblation ablation = null!;
            GanInsertion? insertion = null;
            ModelSegmenter? seg = null;
            try
            {
                await DissectionConsole.WithProgress(cli, async bars =>
                {
                    seg = await GanConsole.LoadSegmenterAsync(cli, parse.GetValue(segmenter), cacheFolder, modelOptions.Device, bars, ct);
                    var dissection = await DissectionConsole.Run(() => GanConsole.Dissect(cli, generator, seg, layerName, dissectOptions, cacheFolder, bars, [], ct), ct);
                    ablation = await DissectionConsole.Run(() => GanEditor.Ablate(generator, seg, dissection, options, bars.ForGanEdit("ablation"), ct), ct);
                    if (options.Region is not null)
                        insertion = await DissectionConsole.Run(() => GanEditor.Insert(generator, seg, dissection, options, bars.ForGanEdit("insertion"), ct), ct);
                });
            }
            finally
            {
                seg?.Dispose();
            }

            Directory.CreateDirectory(outDir);
            var files = new List<string> { "ablation.png" };
            Sessions.WriteFile(Path.Combine(outDir, "ablation.png"), GanFigures.EditPng(ablation.Examples, null));
            if (insertion is not null)
            {
                Sessions.WriteFile(Path.Combine(outDir, "insertion.png"), GanFigures.EditPng(insertion.Examples, insertion.Region));
                files.Add("insertion.png");
            }
            var result = new { ablation, insertion };
            AnalysisPage.WriteJson(Path.Combine(outDir, "gan-edit.json"), result);
            var lines = Summary(ablation, insertion);
            string page = AnalysisPage.Write(outDir, $"GAN edit: {ablation.Concept} in {ablation.Layer}", generator, string.Join(" ", lines), files,
                (["edit", $"{ablation.Concept} area"], Rows(ablation, insertion)), "gan-edit.json");
            if (json)
            {
                cli.WriteJson(new { generator = generator.CheckpointPath, generatorHash = generator.CheckpointHash, page, result });
                return ExitCodes.Ok;
            }
            foreach (string line in lines) cli.Out.MarkupLine(Markup.Escape(line));
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static List<string> Summary(GanAblation a, GanInsertion? i)
    {
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"Ablating the top {a.TopUnits.Count} {a.Concept} units of {a.Layer} ({string.Join(",", a.TopUnits)}): {a.Concept} covers {GanConsole.Percent(a.AreaBefore)} of the pixels of {a.Samples} samples before, " +
                $"{GanConsole.Percent(a.AreaTopAblated)} after (−{a.TopDrop:P0}); {a.TopUnits.Count} random units: {(a.AreaRandomAblated.Count == 0 ? "not run" : GanConsole.Percent(a.AreaRandomAblated.Average()) + $" (−{a.RandomDrop:P0}, mean of {a.AreaRandomAblated.Count} draws)")}."),
        };
        if (i is not null)
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"Inserting {i.Concept} (units forced on at layer cells x {i.LayerRegion.X0}..{i.LayerRegion.X1}, y {i.LayerRegion.Y0}..{i.LayerRegion.Y1}): inside the region {GanConsole.Percent(i.InsideBefore)} → {GanConsole.Percent(i.InsideAfter)}, " +
                $"outside {GanConsole.Percent(i.OutsideBefore)} → {GanConsole.Percent(i.OutsideAfter)}; {i.SamplesGaining} of {i.Samples} samples gained {i.Concept} inside."));
        return lines;
    }

    static IEnumerable<string[]> Rows(GanAblation a, GanInsertion? i)
    {
        yield return ["intact", GanConsole.Percent(a.AreaBefore)];
        yield return [$"top {a.TopUnits.Count} units ablated", GanConsole.Percent(a.AreaTopAblated)];
        for (int d = 0; d < a.AreaRandomAblated.Count; d++)
            yield return [$"random {a.TopUnits.Count} units ablated (draw {d + 1})", GanConsole.Percent(a.AreaRandomAblated[d])];
        if (i is null) yield break;
        yield return ["inside the region, intact → inserted", $"{GanConsole.Percent(i.InsideBefore)} → {GanConsole.Percent(i.InsideAfter)}"];
        yield return ["outside the region, intact → inserted", $"{GanConsole.Percent(i.OutsideBefore)} → {GanConsole.Percent(i.OutsideAfter)}"];
    }

    internal static ImageRegion ParseRegion(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 4 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var v = parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            return new ImageRegion(v[0], v[1], v[2], v[3]);
        }
        throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"--region '{text}' is not X0,Y0,X1,Y1 (four whole pixel numbers, e.g. 8,4,24,16).");
    }
}
