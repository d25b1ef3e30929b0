using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope occlude MODEL --image IMG [--class C] [--size 16 --stride 8 --fill mean|R,G,B] [--layer L [--unit U]] --out DIR</c>:
/// Zeiler–Fergus occlusion sensitivity. Writes occlusion.png (the figure-7-like composite), probability.png,
/// classes.png and unit.png (each map over the image), occlusion.json and index.html to DIR; results are cached. The image
/// is sized as the model's description says (<c>resize</c>, <c>centerCrop</c>; <c>--resize</c> / <c>--crop</c> win): that
/// image is occluded, drawn under the maps, and hashed into the cache key.
/// </summary>
static class OccludeCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var image = new Option<string>("--image") { Description = "Image file (PNG, JPEG, BMP, WebP).", Required = true, HelpName = "IMG" };
        var cls = new Option<string?>("--class") { Description = "Class whose probability is mapped: a class name or index; default: the predicted class.", HelpName = "C" };
        var defaults = new OcclusionOptions();
        var size = new Option<int>("--size") { Description = "Side of the grey square in model-input pixels.", DefaultValueFactory = _ => defaults.Size, HelpName = "PX" };
        var stride = new Option<int>("--stride") { Description = "Step between square positions in model-input pixels.", DefaultValueFactory = _ => defaults.Stride, HelpName = "PX" };
        var fill = new Option<string>("--fill") { Description = "The square's colour: mean (the normalisation mean, 0 after normalising) or R,G,B (0-255) or one gray value.", DefaultValueFactory = _ => "mean", HelpName = "mean|R,G,B" };
        var layer = new Option<string?>("--layer") { Description = "Layer whose unit's total activation is mapped; default: the last layer with spatial maps.", HelpName = "L" };
        var unit = new Option<int?>("--unit") { Description = "Unit of --layer; default: its strongest unit on the unoccluded image.", HelpName = "U" };
        var batch = new Option<int>("--batch-size") { Description = "Occluded copies per forward pass (speed and memory only).", DefaultValueFactory = _ => defaults.BatchSize, HelpName = "N" };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs, occlusion.json and index.html.", Required = true, HelpName = "DIR" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
        var sizing = new ImageSizingOptions();
        var shared = new ModelOptionSet();
        var command = new Command("occlude", "Slide a grey square over an image and map the class probability, the most probable class and a unit's activity (Zeiler & Fergus).")
        {
            image, cls, size, stride, fill, layer, unit, batch, output, cache,
        };
        sizing.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            var givenSizing = sizing.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var fillRgb = ParseFill(parse.GetValue(fill)!);
            if (parse.GetValue(unit) is not null && parse.GetValue(layer) is null)
                throw new CliUsageException("--unit needs --layer: name the layer the unit belongs to.");
            string imagePath = parse.GetValue(image)!;
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());

            var decoded = await Sessions.LoadImageAsync(imagePath, ct);
            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            var picture = await Sessions.Background(() => ImageSizingOptions.Apply(cli, session, givenSizing, decoded, imagePath), ct);
            var options = new OcclusionOptions
            {
                Size = parse.GetValue(size),
                Stride = parse.GetValue(stride),
                FillRgb = fillRgb,
                TargetClass = parse.GetValue(cls) is { } c ? ResolveClass(session, c) : null,
                Layer = parse.GetValue(layer)?.Trim(),
                Unit = parse.GetValue(unit),
                BatchSize = parse.GetValue(batch),
            };
            var store = new AnalysisStore(cacheFolder);
            var key = AnalysisKey.Occlusion(session, Occluder.ImageHash(picture), options);
            OcclusionResult result = null!;
            bool cached = false;
            await AnalysisConsole.WithProgress(cli, async bars =>
                result = await DissectionConsole.Run(() => store.GetOrCompute(key,
                    () => Occluder.Run(session, picture, options, bars.ForOcclusion(), ct), out cached, cli.Info), ct));

            Directory.CreateDirectory(outDir);
            // A one-output model: a score, not a probability, and no class map (it would be one colour).
            bool score = result.FollowsScore;
            var files = new List<string> { "occlusion.png", "probability.png" };
            Sessions.WriteFile(Path.Combine(outDir, "occlusion.png"), OcclusionFigure.RenderPng(picture, result));
            Sessions.WriteFile(Path.Combine(outDir, "probability.png"), OcclusionFigure.OverlayPng(picture, result, OcclusionMap.TargetProbability));
            if (!score)
            {
                Sessions.WriteFile(Path.Combine(outDir, "classes.png"), OcclusionFigure.OverlayPng(picture, result, OcclusionMap.MostProbableClass));
                files.Add("classes.png");
            }
            if (result.UnitActivity is not null)
            {
                Sessions.WriteFile(Path.Combine(outDir, "unit.png"), OcclusionFigure.OverlayPng(picture, result, OcclusionMap.UnitActivity));
                files.Add("unit.png");
            }
            AnalysisPage.WriteJson(Path.Combine(outDir, "occlusion.json"), result);
            string target = result.ClassNames[result.TargetClass];
            int worst = Array.IndexOf(result.TargetProbability, result.TargetProbability.Min());
            var (wy, wx) = (result.Ys[worst / result.Columns], result.Xs[worst % result.Columns]);
            string summary = string.Create(CultureInfo.InvariantCulture,
                $"{(score ? $"The model's one output ({target}, a score)" : $"p({target})")} = {result.BaseTargetProbability:0.000} unoccluded; " +
                $"{result.TargetProbability.Min():0.000} at its lowest, with the square at x {wx}, y {wy} " +
                $"({result.Rows}×{result.Columns} positions of a {result.Options.Size} px square, stride {result.Options.Stride}, on the {result.InputWidth}×{result.InputHeight} input).");
            var legend = OcclusionFigure.ClassLegend(result);
            string page = AnalysisPage.Write(outDir, $"Occlusion: {Path.GetFileName(imagePath)}", session, summary, [.. files.Take(1)],
                (["most probable class", "positions", "share"], legend.Where(_ => !score).Select(l => new[]
                {
                    l.Name, l.Positions.ToString(CultureInfo.InvariantCulture), (100.0 * l.Positions / result.MostProbableClass.Length).ToString("0", CultureInfo.InvariantCulture) + "%",
                })), "occlusion.json");

            if (json)
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    checkpointHash = session.CheckpointHash,
                    image = imagePath,
                    cached,
                    page,
                    preprocessing = ImageSizingOptions.Json(session, session.ImageSizing(givenSizing)),
                    imageWidth = picture.Width,
                    imageHeight = picture.Height,
                    files = files.Select(f => Path.Combine(outDir, f)),
                    result,
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary) + (cached ? " [grey](from the cache)[/]" : ""));
            cli.Out.MarkupLine("Most probable class with the square: " + Markup.Escape(string.Join(", ", legend.Take(5).Select(l =>
                $"{l.Name} {(100.0 * l.Positions / result.MostProbableClass.Length).ToString("0", CultureInfo.InvariantCulture)}%"))));
            if (result.UnitActivity is { } activity)
                cli.Out.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"{result.Options.Layer} unit {result.Options.Unit}: total activation {result.BaseUnitActivity:G4} unoccluded, {activity.Min():G4} … {activity.Max():G4} occluded.")));
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>"mean" → null; "R,G,B" or "V" (0–255) → the values.</summary>
    internal static IReadOnlyList<int>? ParseFill(string text)
    {
        if (text.Trim().Equals("mean", StringComparison.OrdinalIgnoreCase))
            return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is 1 or 3 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v <= 255))
            return [.. parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
            $"--fill '{text}' is not a colour: use mean, a gray value 0-255, or R,G,B, e.g. 128,128,128.");
    }

    /// <summary>A model class by name (case-insensitive; '_', '-' and ' ' alike) or index.</summary>
    internal static int ResolveClass(ModelSession session, string text)
    {
        static string Canonical(string s) => s.Trim().ToLowerInvariant().Replace('_', ' ').Replace('-', ' ');
        var names = session.ClassNames;
        for (int i = 0; i < names.Count; i++)
            if (Canonical(names[i]) == Canonical(text))
                return i;
        if (int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < session.ClassCount)
            return index;
        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
            $"--class '{text}' is neither a class name nor an index of the model ({session.ClassCount} classes: " +
            $"{string.Join(", ", names.Take(8))}{(names.Count > 8 ? ", …" : "")}).");
    }
}
