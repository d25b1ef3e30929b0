using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Rendering;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope visualize MODEL --layer L --unit U [--objective channel|neuron] [--seed N] [--rounds 12 --steps 20
/// --upscale 1.2 --lr 0.1 --blur 0.5 --jitter 2] [--test IMG …] [--frames] --out DIR</c>: activation maximisation with
/// seed 004's multi-scale recipe, then its hypothesis test. Writes unit.png (the optimised image), hypothesis.png (the
/// layer's mean activation per unit on it), a test-NAME.png chart per --test image (sized as the model's description
/// says), round-NN.png per round with --frames, visualize.json and index.html to DIR. The optimisation is cached
/// (a seed gives the same image, byte for byte).
/// </summary>
static class VisualizeCommand
{
    public static Command Create(CliContext cli)
    {
        var defaults = new MaximizationOptions();
        var model = new ModelArgument();
        var layer = new Option<string>("--layer") { Description = "Layer name as in named_modules(), e.g. features.28 (see `unitscope layers`).", Required = true, HelpName = "NAME" };
        var unit = new Option<int>("--unit") { Description = "Unit (channel) of the layer to excite, from 0.", Required = true, HelpName = "U" };
        var objective = new Option<string>("--objective") { Description = "channel: the mean of the unit's whole map; neuron: the unit at the map's centre only.", DefaultValueFactory = _ => "channel", HelpName = "channel|neuron" };
        var seed = new Option<int>("--seed") { Description = "Seeds the starting noise and the jitter: the same seed gives the same image.", DefaultValueFactory = _ => defaults.Seed, HelpName = "N" };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of optimisation; the image grows by --upscale between rounds and the last is at the model's input size.", DefaultValueFactory = _ => defaults.Rounds, HelpName = "N" };
        var steps = new Option<int>("--steps") { Description = "Adam steps per round.", DefaultValueFactory = _ => defaults.StepsPerRound, HelpName = "N" };
        var upscale = new Option<double>("--upscale") { Description = "Growth of the image's side between rounds.", DefaultValueFactory = _ => defaults.UpscaleFactor, HelpName = "F" };
        var rate = new Option<double>("--lr") { Description = "Adam's step size on the normalised image.", DefaultValueFactory = _ => defaults.LearningRate, HelpName = "R" };
        var blur = new Option<double>("--blur") { Description = "Sigma (pixels) of the Gaussian blur after each upscaling; 0: none.", DefaultValueFactory = _ => defaults.BlurSigma, HelpName = "SIGMA" };
        var jitter = new Option<int>("--jitter") { Description = "Random shift of up to this many pixels at each step; 0: none.", DefaultValueFactory = _ => defaults.Jitter, HelpName = "PX" };
        var tests = new Option<string[]>("--test") { Description = "A real image to test the hypothesis on (the layer's mean activation per unit, the unit's rank); repeatable.", HelpName = "IMG", AllowMultipleArgumentsPerToken = true };
        var frames = new Option<bool>("--frames") { Description = "Also write the image at the end of each round (round-01.png, …) when it is computed." };
        var output = new Option<string>("--out") { Description = "Folder for unit.png, hypothesis.png, visualize.json and index.html.", Required = true, HelpName = "DIR" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
        var sizing = new ImageSizingOptions();
        var shared = new ModelOptionSet();
        var command = new Command("visualize", "Optimise an image from noise to excite a unit (activation maximisation, multi-scale), then rank the unit on it and on real images.")
        {
            layer, unit, objective, seed, rounds, steps, upscale, rate, blur, jitter, tests, frames, output, cache,
        };
        sizing.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            var givenSizing = sizing.Read(parse);
            bool json = parse.GetValue(shared.Json);
            string layerName = parse.GetValue(layer)!.Trim();
            int unitIndex = parse.GetValue(unit);
            var options = new MaximizationOptions
            {
                Objective = ParseObjective(parse.GetValue(objective)!),
                Seed = parse.GetValue(seed),
                Rounds = parse.GetValue(rounds),
                StepsPerRound = parse.GetValue(steps),
                UpscaleFactor = parse.GetValue(upscale),
                LearningRate = parse.GetValue(rate),
                BlurSigma = parse.GetValue(blur),
                Jitter = parse.GetValue(jitter),
            };
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            var testPaths = parse.GetValue(tests) ?? [];
            var decoded = new List<RgbImage>();
            foreach (string path in testPaths) decoded.Add(await Sessions.LoadImageAsync(path, ct));

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            var store = new AnalysisStore(cacheFolder);
            var key = AnalysisKey.Maximization(session, layerName, unitIndex, options);
            bool writeFrames = parse.GetValue(frames);
            Directory.CreateDirectory(outDir);
            MaximizationResult result = null!;
            bool cached = false;
            await AnalysisConsole.WithProgress(cli, async bars =>
                result = await DissectionConsole.Run(() => store.GetOrCompute(key,
                    () => ActivationMaximizer.Run(session, layerName, unitIndex, options, bars.ForMaximization(p =>
                    {
                        if (writeFrames && p.Preview is { } preview)
                            Sessions.WriteFile(Path.Combine(outDir, $"round-{p.Round:00}.png"), Png.Encode(preview));
                    }), ct), out cached, cli.Info), ct));

            Sessions.WriteFile(Path.Combine(outDir, "unit.png"), Png.Encode(result.Image));
            var hypothesis = await Sessions.Background(() => HypothesisTest.Run(session, result.Image, layerName, unitIndex), ct);
            Sessions.WriteFile(Path.Combine(outDir, "hypothesis.png"), HypothesisChart.RenderPng(hypothesis, "the optimised image"));
            var tested = new List<(string Path, string File, HypothesisResult Result)>();
            for (int i = 0; i < testPaths.Length; i++)
            {
                var picture = await Sessions.Background(() => ImageSizingOptions.Apply(cli, session, givenSizing, decoded[i], testPaths[i]), ct);
                var r = await Sessions.Background(() => HypothesisTest.Run(session, picture, layerName, unitIndex), ct);
                string file = $"test-{i + 1:00}-{SafeName(testPaths[i])}.png";
                Sessions.WriteFile(Path.Combine(outDir, file), HypothesisChart.RenderPng(r, Path.GetFileName(testPaths[i])));
                tested.Add((testPaths[i], file, r));
            }

            string summary = string.Create(CultureInfo.InvariantCulture,
                $"{layerName} unit {unitIndex} ({options.Objective.ToString().ToLowerInvariant()}): {result.FinalActivation:G4} on the optimised " +
                $"{result.Image.Width}×{result.Image.Height} image (seed {options.Seed}, {options.Rounds} rounds × {options.StepsPerRound} steps); " +
                $"it ranks #{hypothesis.Rank} of {hypothesis.MeanActivations.Count} units of the layer on it.");
            var rows = new List<string[]> { new[] { "the optimised image", Rank(hypothesis), Number(hypothesis.UnitActivation), Strongest(hypothesis) } };
            rows.AddRange(tested.Select(t => new[] { Path.GetFileName(t.Path), Rank(t.Result), Number(t.Result.UnitActivation), Strongest(t.Result) }));
            var summaryJson = new
            {
                layer = layerName,
                unit = unitIndex,
                options,
                width = result.Image.Width,
                height = result.Image.Height,
                roundSizes = result.RoundSizes,
                roundActivations = result.RoundActivations,
                finalActivation = result.FinalActivation,
                hypothesis,
                tests = tested.Select(t => new { image = t.Path, chart = Path.Combine(outDir, t.File), result = t.Result }),
            };
            AnalysisPage.WriteJson(Path.Combine(outDir, "visualize.json"), summaryJson);
            string page = AnalysisPage.Write(outDir, $"Visualize {layerName} unit {unitIndex}", session, summary,
                ["unit.png", "hypothesis.png", .. tested.Select(t => t.File)],
                (["image", "rank of the unit", "its mean activation", "strongest unit"], rows), "visualize.json");

            if (json)
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    checkpointHash = session.CheckpointHash,
                    cached,
                    page,
                    image = Path.Combine(outDir, "unit.png"),
                    result = summaryJson,
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary) + (cached ? " [grey](from the cache)[/]" : ""));
            foreach (var t in tested)
                cli.Out.MarkupLine(Markup.Escape($"{Path.GetFileName(t.Path)}: unit {unitIndex} ranks #{t.Result.Rank} ({Number(t.Result.UnitActivation)}); {Strongest(t.Result)}."));
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    internal static MaximizationObjective ParseObjective(string text) => text.Trim().ToLowerInvariant() switch
    {
        "channel" => MaximizationObjective.Channel,
        "neuron" => MaximizationObjective.Neuron,
        _ => throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"--objective '{text}' is not one of channel, neuron."),
    };

    static string Rank(HypothesisResult r) => $"#{r.Rank} of {r.MeanActivations.Count}";

    static string Strongest(HypothesisResult r) => r.StrongestUnit == r.Unit
        ? "the unit itself"
        : $"unit {r.StrongestUnit} ({Number(r.MeanActivations[r.StrongestUnit])})";

    static string Number(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>The file name without extension, with anything but letters, digits, '-' and '_' replaced by '_'.</summary>
    static string SafeName(string path) =>
        new([.. Path.GetFileNameWithoutExtension(path).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
}
