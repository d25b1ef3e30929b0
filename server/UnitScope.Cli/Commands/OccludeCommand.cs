using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Occlusion;
using UnitScope.Engine.Imaging;
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
    /// <summary>The command's options, made once in <see cref="Create"/> and read by its action.</summary>
    sealed class Options
    {
        static readonly OcclusionOptions Defaults = new();
        public ModelArgument Model { get; } = new();
        public Option<string> Image { get; } = new("--image") { Description = "Image file (PNG, JPEG, BMP, WebP).", Required = true, HelpName = "IMG" };
        public Option<string?> Class { get; } = new("--class") { Description = "Class whose probability is mapped: a class name or index; default: the predicted class.", HelpName = "C" };
        public Option<int> Size { get; } = new("--size") { Description = "Side of the grey square in model-input pixels.", DefaultValueFactory = _ => Defaults.Size, HelpName = "PX" };
        public Option<int> Stride { get; } = new("--stride") { Description = "Step between square positions in model-input pixels.", DefaultValueFactory = _ => Defaults.Stride, HelpName = "PX" };
        public Option<string> Fill { get; } = new("--fill") { Description = "The square's colour: mean (the normalisation mean, 0 after normalising) or R,G,B (0-255) or one gray value.", DefaultValueFactory = _ => "mean", HelpName = "mean|R,G,B" };
        public Option<string?> Layer { get; } = new("--layer") { Description = "Layer whose unit's total activation is mapped; default: the last layer with spatial maps.", HelpName = "L" };
        public Option<int?> Unit { get; } = new("--unit") { Description = "Unit of --layer; default: its strongest unit on the unoccluded image.", HelpName = "U" };
        public Option<int> Batch { get; } = new("--batch-size") { Description = "Occluded copies per forward pass (speed and memory only).", DefaultValueFactory = _ => Defaults.BatchSize, HelpName = "N" };
        public Option<string> Output { get; } = new("--out") { Description = "Folder for the PNGs, occlusion.json and index.html.", Required = true, HelpName = "DIR" };
        public Option<string?> Cache { get; } = new("--cache") { Description = "Cache folder; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
        public ImageSizingOptions Sizing { get; } = new();
        public ModelOptionSet Shared { get; } = new();
    }

    public static Command Create(CliContext cli)
    {
        var o = new Options();
        var command = new Command("occlude", "Slide a grey square over an image and map the class probability, the most probable class and a unit's activity (Zeiler & Fergus).")
        {
            o.Image, o.Class, o.Size, o.Stride, o.Fill, o.Layer, o.Unit, o.Batch, o.Output, o.Cache,
        };
        o.Sizing.AddTo(command);
        o.Shared.AddTo(command);
        o.Model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(() => RunAsync(cli, o, parse, ct), ct));
        return command;
    }

    static async Task<int> RunAsync(CliContext cli, Options o, ParseResult parse, CancellationToken ct)
    {
        var modelOptions = o.Shared.Read(parse);
        var givenSizing = o.Sizing.Read(parse);
        bool json = parse.GetValue(o.Shared.Json);
        var fillRgb = ParseFill(parse.GetValue(o.Fill)!);
        if (parse.GetValue(o.Unit) is not null && parse.GetValue(o.Layer) is null)
            throw new CliUsageException("--unit needs --layer: name the layer the unit belongs to.");
        string imagePath = parse.GetValue(o.Image)!;
        string outDir = Path.GetFullPath(parse.GetValue(o.Output)!);
        string cacheFolder = Path.GetFullPath(parse.GetValue(o.Cache) ?? CacheDirectory.Resolve());

        var decoded = await Sessions.LoadImageAsync(imagePath, ct);
        using var session = await Sessions.LoadAsync(cli, o.Model.Read(parse), modelOptions, ct);
        var picture = await Sessions.Background(() => ImageSizingOptions.Apply(cli, session, givenSizing, decoded, imagePath), ct);
        var options = new OcclusionOptions
        {
            Size = parse.GetValue(o.Size),
            Stride = parse.GetValue(o.Stride),
            FillRgb = fillRgb,
            TargetClass = parse.GetValue(o.Class) is { } c ? ResolveClass(session, c) : null,
            Layer = parse.GetValue(o.Layer)?.Trim(),
            Unit = parse.GetValue(o.Unit),
            BatchSize = parse.GetValue(o.Batch),
        };
        var store = new AnalysisStore(cacheFolder);
        var key = AnalysisKey.Occlusion(session, Occluder.ImageHash(picture), options);
        OcclusionResult result = null!;
        bool cached = false;
        await AnalysisConsole.WithProgress(cli, async bars =>
            result = await DissectionConsole.Run(() => store.GetOrCompute(key,
                () => Occluder.Run(session, picture, options, bars.ForOcclusion(), ct), out cached, cli.Info), ct));

        var (files, summary, page) = WriteFiles(outDir, imagePath, session, picture, result);
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
        Print(cli, result, summary, cached);
        cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
        return ExitCodes.Ok;
    }

    /// <summary>The PNGs, occlusion.json and index.html in DIR: the files' names, the summary line and the page's path.</summary>
    static (List<string> Files, string Summary, string Page) WriteFiles(string outDir, string imagePath, ModelSession session, RgbImage picture, OcclusionResult result)
    {
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
        return (files, summary, page);
    }

    /// <summary>The summary, the classes the square made most probable and the unit's range, on stdout.</summary>
    static void Print(CliContext cli, OcclusionResult result, string summary, bool cached)
    {
        var legend = OcclusionFigure.ClassLegend(result);
        cli.Out.MarkupLine(Markup.Escape(summary) + (cached ? " [grey](from the cache)[/]" : ""));
        cli.Out.MarkupLine("Most probable class with the square: " + Markup.Escape(string.Join(", ", legend.Take(5).Select(l =>
            $"{l.Name} {(100.0 * l.Positions / result.MostProbableClass.Length).ToString("0", CultureInfo.InvariantCulture)}%"))));
        if (result.UnitActivity is { } activity)
            cli.Out.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{result.Options.Layer} unit {result.Options.Unit}: total activation {result.BaseUnitActivity:G4} unoccluded, {activity.Min():G4} … {activity.Max():G4} occluded.")));
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
