using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine.Analysis.Correspondence;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope correspondence MODEL --boxes FILE.json [--layers L1,L2] [--random 10] [--seed 0] [--fill mean|R,G,B]
/// --out DIR</c>: Zeiler &amp; Fergus's table 1. The same part is hidden in every image that has a box for it (the
/// file: <see cref="PartBoxesFile"/>), and at each layer Δ measures how consistently the features change, beside random
/// boxes of the same sizes. Writes correspondence.png, correspondence.json and index.html to DIR; results are cached.
/// </summary>
static class CorrespondenceCommand
{
    public static Command Create(CliContext cli)
    {
        var defaults = new CorrespondenceOptions();
        var model = new ModelArgument();
        var boxes = new Option<string>("--boxes") { Description = "JSON file: {\"images\": [{\"path\": \"dog1.jpg\", \"boxes\": {\"left eye\": [x, y, width, height]}}, …]}; paths relative to it, boxes in each image's pixels.", Required = true, HelpName = "FILE" };
        var layers = new Option<string?>("--layers") { Description = "Layers to compare features at, comma-separated; default: the last layer with spatial maps and the classifier's hidden layer (the paper's layers 5 and 7).", HelpName = "L1,L2" };
        var random = new Option<int>("--random") { Description = "Sets of random boxes (each the size of the part's box in its image) for the control; 0: none.", DefaultValueFactory = _ => defaults.RandomDraws, HelpName = "N" };
        var seed = new Option<int>("--seed") { Description = "Seeds the random boxes.", DefaultValueFactory = _ => defaults.Seed, HelpName = "N" };
        var fill = new Option<string>("--fill") { Description = "The boxes' colour: mean (the normalisation mean) or R,G,B (0-255) or one gray value.", DefaultValueFactory = _ => "mean", HelpName = "mean|R,G,B" };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass (speed and memory only).", DefaultValueFactory = _ => defaults.BatchSize, HelpName = "N" };
        var output = new Option<string>("--out") { Description = "Folder for correspondence.png, correspondence.json and index.html.", Required = true, HelpName = "DIR" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
        var sizing = new ImageSizingOptions();
        var shared = new ModelOptionSet();
        var command = new Command("correspondence", "Hide the same part in several images and measure how consistently each layer's features change, against random boxes (Zeiler & Fergus, table 1).")
        {
            boxes, layers, random, seed, fill, batch, output, cache,
        };
        sizing.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            var givenSizing = sizing.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var options = new CorrespondenceOptions
            {
                Layers = SweepValues.Layers(parse.GetValue(layers)),
                RandomDraws = parse.GetValue(random),
                Seed = parse.GetValue(seed),
                FillRgb = OccludeCommand.ParseFill(parse.GetValue(fill)!),
                BatchSize = parse.GetValue(batch),
            };
            string boxesPath = parse.GetValue(boxes)!;
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            var images = await Sessions.Background(() => PartBoxesFile.Read(boxesPath), ct);

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            var resolved = CorrespondenceAnalysis.Resolve(session, images, options);
            var used = session.ImageSizing(givenSizing);
            var store = new AnalysisStore(cacheFolder);
            var key = AnalysisKey.Correspondence(session, CorrespondenceAnalysis.SetHash(images), used, resolved);
            CorrespondenceResult result = null!;
            bool cached = false;
            await AnalysisConsole.WithProgress(cli, async bars =>
                result = await DissectionConsole.Run(() => store.GetOrCompute(key,
                    () => CorrespondenceAnalysis.Run(session, images, resolved, used, bars.ForCorrespondence(), ct), out cached, cli.Info), ct));

            Directory.CreateDirectory(outDir);
            Sessions.WriteFile(Path.Combine(outDir, "correspondence.png"), CorrespondenceChart.RenderPng(result));
            AnalysisPage.WriteJson(Path.Combine(outDir, "correspondence.json"), result);
            var rows = result.Parts.SelectMany(p => p.Layers.Select(l => new[]
            {
                p.Part, l.Layer, p.Images.Count.ToString(CultureInfo.InvariantCulture),
                $"{F(l.Part.Mean)} ± {F(l.Part.Std)}", resolved.RandomDraws > 0 ? $"{F(l.RandomMean)} ± {F(l.RandomStd)}" : "–",
            })).ToList();
            string summary = $"{images.Count} images, {result.Parts.Count} part{(result.Parts.Count == 1 ? "" : "s")}, layers {string.Join(", ", result.Layers)}: " +
                "Δ is the mean over image pairs of the share of features whose change (original − occluded) has another sign; lower is more consistent.";
            string page = AnalysisPage.Write(outDir, "Correspondence", session, summary, ["correspondence.png"],
                (["part", "layer", "images", "Δ part", $"Δ random ({resolved.RandomDraws} draws)"], rows), "correspondence.json");
            if (json)
            {
                cli.WriteJson(new { checkpoint = session.CheckpointPath, checkpointHash = session.CheckpointHash, cached, page, result });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary) + (cached ? " [grey](from the cache)[/]" : ""));
            foreach (var row in rows)
                cli.Out.MarkupLine(Markup.Escape($"  {row[0]} at {row[1]} ({row[2]} images): Δ {row[3]}, random {row[4]}"));
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
}
