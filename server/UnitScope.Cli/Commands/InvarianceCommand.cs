using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Invariance;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope invariance MODEL --image IMG [--image IMG …] [--layers L1,L2] [--translate V|A:B:STEP|none] [--axis
/// vertical|horizontal] [--rotate …] [--scale …] [--class C] --out DIR</c>: Zeiler &amp; Fergus's figure 5. Each image
/// (sized as the model's description says) is translated, rotated and scaled over the sweeps; per layer, how far its
/// feature vector moves (Euclidean distance, and over the original's norm), and the true class's probability. Writes
/// invariance.png, invariance.json and index.html to DIR; results are cached.
/// </summary>
static class InvarianceCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var images = new Option<string[]>("--image") { Description = "Image file; repeatable (the paper uses five).", Required = true, HelpName = "IMG", AllowMultipleArgumentsPerToken = true };
        var layers = new Option<string?>("--layers") { Description = "Layers to compare features at, comma-separated; default: the first convolution's activation, the last layer with spatial maps and the classifier's hidden layer.", HelpName = "L1,L2" };
        var translate = new Option<string?>("--translate") { Description = "Shifts in whole model-input pixels: values (-8,0,8), a range A:B:STEP, or none; default: ±¼ of the side in 13 steps.", HelpName = "VALUES" };
        var axis = new Option<string>("--axis") { Description = "Direction of the shifts: vertical (down is positive, as the paper) or horizontal (right is positive).", DefaultValueFactory = _ => "vertical", HelpName = "vertical|horizontal" };
        var rotate = new Option<string?>("--rotate") { Description = "Rotations in degrees about the centre, counter-clockwise: values, A:B:STEP or none; default 0:360:15.", HelpName = "VALUES" };
        var scale = new Option<string?>("--scale") { Description = "Scales about the centre (above 1 enlarges): values, A:B:STEP or none; default 0.6:1.8:0.1.", HelpName = "VALUES" };
        var cls = new Option<string?>("--class") { Description = "The true class (name or index) whose probability is followed; default: each image's predicted class.", HelpName = "C" };
        var batch = new Option<int>("--batch-size") { Description = "Transformed images per forward pass (speed and memory only).", DefaultValueFactory = _ => new InvarianceOptions().BatchSize, HelpName = "N" };
        var output = new Option<string>("--out") { Description = "Folder for invariance.png, invariance.json and index.html.", Required = true, HelpName = "DIR" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
        var sizing = new ImageSizingOptions();
        var shared = new ModelOptionSet();
        var command = new Command("invariance", "Translate, rotate and scale images and plot how far each layer's features move, and the true class's probability (Zeiler & Fergus, figure 5).")
        {
            images, layers, translate, axis, rotate, scale, cls, batch, output, cache,
        };
        sizing.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            var givenSizing = sizing.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var paths = parse.GetValue(images) ?? [];
            var translations = SweepValues.Parse("--translate", parse.GetValue(translate));
            var options = new InvarianceOptions
            {
                Layers = SweepValues.Layers(parse.GetValue(layers)),
                Translations = translations?.Select(v => v == Math.Round(v) ? (int)v
                    : throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"--translate takes whole pixels, not {v.ToString(CultureInfo.InvariantCulture)}.")).ToList(),
                Axis = parse.GetValue(axis)!.Trim().ToLowerInvariant() switch
                {
                    "vertical" => TranslationAxis.Vertical,
                    "horizontal" => TranslationAxis.Horizontal,
                    var other => throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"--axis '{other}' is not vertical or horizontal."),
                },
                Rotations = SweepValues.Parse("--rotate", parse.GetValue(rotate)),
                Scales = SweepValues.Parse("--scale", parse.GetValue(scale)),
                BatchSize = parse.GetValue(batch),
            };
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            var decoded = new List<RgbImage>();
            foreach (string path in paths) decoded.Add(await Sessions.LoadImageAsync(path, ct));

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            if (parse.GetValue(cls) is { } c) options = options with { TrueClass = OccludeCommand.ResolveClass(session, c) };
            var pictures = new List<RgbImage>();
            for (int i = 0; i < paths.Length; i++)
                pictures.Add(await Sessions.Background(() => ImageSizingOptions.Apply(cli, session, givenSizing, decoded[i], paths[i]), ct));
            var resolved = InvarianceAnalysis.Resolve(session, pictures, options);
            var store = new AnalysisStore(cacheFolder);
            var key = AnalysisKey.Invariance(session, [.. pictures.Select(Occluder.ImageHash)], resolved);
            InvarianceResult result = null!;
            bool cached = false;
            await AnalysisConsole.WithProgress(cli, async bars =>
                result = await DissectionConsole.Run(() => store.GetOrCompute(key,
                    () => InvarianceAnalysis.Run(session, pictures, resolved, bars.ForInvariance(), ct), out cached, cli.Info), ct));

            var names = paths.Select(Path.GetFileName).Select(n => n ?? "").ToList();
            Directory.CreateDirectory(outDir);
            Sessions.WriteFile(Path.Combine(outDir, "invariance.png"), InvarianceChart.RenderPng(result, names));
            AnalysisPage.WriteJson(Path.Combine(outDir, "invariance.json"), new { images = paths, result });
            var rows = Summary(result).ToList();
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"{paths.Length} image{(paths.Length == 1 ? "" : "s")} × {string.Join(", ", result.Sweeps.Select(s => $"{s.Values.Count} {ImageTransforms.Name(s.Kind)}s"))}; " +
                $"layers {string.Join(", ", result.Layers)}. The table gives the mean relative distance ‖f(T x) − f(x)‖ / ‖f(x)‖ over the images and the sweep's values.");
            string page = AnalysisPage.Write(outDir, "Invariance", session, summary, ["invariance.png"],
                (["transformation", .. result.Layers, "p(true class): lowest mean"], rows), "invariance.json");
            if (json)
            {
                cli.WriteJson(new { checkpoint = session.CheckpointPath, checkpointHash = session.CheckpointHash, cached, page, images = paths, result });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary) + (cached ? " [grey](from the cache)[/]" : ""));
            foreach (var row in rows)
                cli.Out.MarkupLine(Markup.Escape($"  {row[0],-12} " + string.Join("  ", result.Layers.Select((l, i) => $"{l} {row[i + 1]}")) + $"  p(true) ≥ {row[^1]}"));
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>Per sweep: the mean relative distance per layer (over images and values) and the lowest mean probability.</summary>
    static IEnumerable<string[]> Summary(InvarianceResult r)
    {
        foreach (var sweep in r.Sweeps)
        {
            var cells = new List<string> { ImageTransforms.Name(sweep.Kind) };
            for (int l = 0; l < r.Layers.Count; l++)
                cells.Add(sweep.RelativeDistances.Average(image => image[l].Average()).ToString("0.000", CultureInfo.InvariantCulture));
            var lowest = Enumerable.Range(0, sweep.Values.Count).Min(v => sweep.Probabilities.Average(image => image[v]));
            cells.Add(lowest.ToString("0.000", CultureInfo.InvariantCulture));
            yield return [.. cells];
        }
    }
}

/// <summary>The value lists of the sweep options: "none", "a,b,c" or an inclusive range "A:B:STEP".</summary>
static class SweepValues
{
    /// <summary>Null for nothing given (the default sweep), empty for "none".</summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the option.</exception>
    public static IReadOnlyList<double>? Parse(string option, string? text)
    {
        if (text is null) return null;
        text = text.Trim();
        if (text.Equals("none", StringComparison.OrdinalIgnoreCase)) return [];
        var range = text.Split(':');
        if (range.Length == 3)
        {
            double a = Number(option, range[0]), b = Number(option, range[1]), step = Number(option, range[2]);
            if (!(step > 0) || b < a || (b - a) / step > 10_000)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"{option} '{text}': a range A:B:STEP needs A ≤ B and a positive STEP.");
            var values = new List<double>();
            for (int k = 0; a + k * step <= b + step * 1e-9; k++) values.Add(Math.Round(a + k * step, 10));
            return values;
        }
        return [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => Number(option, v))];
    }

    /// <summary>"L1,L2" → the names; null or blank → null (the default layers).</summary>
    public static IReadOnlyList<string>? Layers(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];

    static double Number(string option, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"{option}: '{text}' is not a number (give values like 0,15,30, a range 0:360:15, or none).");
}
