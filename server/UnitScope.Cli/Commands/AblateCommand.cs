using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope ablate MODEL --layer L --units 3,7,12 --data probe|IMAGEFOLDER [--random-control N] --out DIR</c>:
/// accuracy per class before and after zeroing the units (forward hooks; the checkpoint and the model are
/// not changed), and after zeroing as many random units; writes ablation.png, ablation.json and index.html
/// to DIR and prints the classes by change (or the result as JSON).
/// </summary>
static class AblateCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var layer = new Option<string>("--layer") { Description = "Layer whose units to remove, as in named_modules() (see `unitscope layers`).", Required = true, HelpName = "L" };
        var units = new Option<string>("--units") { Description = "Units (channels) to zero, comma-separated; ranges allowed: 3,7,10-12.", Required = true, HelpName = "U,U,…" };
        var random = new Option<int>("--random-control") { Description = "Random unit sets of the same size to remove as a control (averaged); 0: none.", DefaultValueFactory = _ => 3, HelpName = "N" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random control's draws.", DefaultValueFactory = _ => 1, HelpName = "S" };
        var data = EvaluationData.Options();
        var output = new Option<string>("--out") { Description = "Folder for ablation.png, ablation.json and index.html.", Required = true, HelpName = "DIR" };
        var shared = new ModelOptionSet();
        var command = new Command("ablate", "Zero units of a layer and measure accuracy per class before and after, against a random control.")
        {
            layer, units, random, seed, output,
        };
        data.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var request = new AblationRequest
            {
                Layer = parse.GetValue(layer)!.Trim(),
                Units = ParseUnits(parse.GetValue(units)!),
                RandomControls = parse.GetValue(random),
                Seed = parse.GetValue(seed),
                BatchSize = parse.GetValue(data.BatchSize),
            };
            if (request.RandomControls < 0)
                throw new CliUsageException("--random-control must be 0 or more.");
            var source = data.Read(parse);
            string outDir = Path.GetFullPath(parse.GetValue(output)!);

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            session.GetLayer(request.Layer);
            var store = new AnalysisStore(source.CacheFolder);
            AblationResult result = null!;
            IEvaluationSet set = null!;
            bool cached = false;
            var clock = Stopwatch.StartNew();
            await AnalysisConsole.WithProgress(cli, async bars =>
            {
                set = await DissectionConsole.Run(() => source.Open(session, bars, ct), ct);
                cli.Info(source.Describe(set, session));
                foreach (string warning in source.ClassWarnings(session, set)) cli.Warn(warning);
                var key = AnalysisKey.Ablation(session, set, request);
                result = await DissectionConsole.Run(() => store.GetOrCompute(key,
                    () => Ablator.Ablate(session, set, request, bars.ForAblation(), ct), out cached, cli.Info), ct);
            });

            AnalysisConsole.WarnSkipped(cli, result.SkippedImages, "ablation.json");
            Directory.CreateDirectory(outDir);
            Sessions.WriteFile(Path.Combine(outDir, "ablation.png"), AblationChart.RenderPng(result));
            AnalysisPage.WriteJson(Path.Combine(outDir, "ablation.json"), result);
            string page = AnalysisPage.Write(outDir, $"Ablation: {result.Layer} units {string.Join(", ", result.Units)}", session, Summary(result),
                ["ablation.png"], ClassTable(result), "ablation.json");

            if (json)
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath, checkpointHash = session.CheckpointHash, cached, page,
                    preprocessing = source.PreprocessingJson(session, set), skippedImages = result.SkippedImages.Count, result
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine($"[bold]{Markup.Escape(result.Layer)}[/]: units {Markup.Escape(string.Join(", ", result.Units))} of {result.LayerUnits} removed" +
                $"{(cached ? " [grey](from the cache)[/]" : "")}");
            cli.Out.MarkupLine(Markup.Escape(Summary(result)));
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Class").AddColumn(new TableColumn("Images").RightAligned()).AddColumn(new TableColumn("Before").RightAligned())
                .AddColumn(new TableColumn("After").RightAligned()).AddColumn(new TableColumn("Change").RightAligned());
            if (result.RandomAccuracyAfter is not null)
                table.AddColumn(new TableColumn("Random").RightAligned());
            foreach (var c in result.Classes)
            {
                var row = new List<string> { Markup.Escape(c.ClassName), c.Images.ToString(CultureInfo.InvariantCulture), Pct(c.Before), Pct(c.After),
                    (c.Change * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) };
                if (c.RandomAfter is { } r) row.Add(Pct(r));
                table.AddRow([.. row]);
            }
            cli.Out.Write(table);
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/] ({clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    static string Summary(AblationResult r) =>
        $"Overall accuracy {Pct(r.AccuracyBefore)} → {Pct(r.AccuracyAfter)}" +
        (r.RandomAccuracyAfter is { } random ? $"; {r.Units.Count} random units ({r.RandomUnitSets.Count} draws): {Pct(random)}" : "") +
        $" — {r.Images} images of {r.DatasetName}" +
        (r.SkippedImages.Count > 0 ? $" ({AnalysisConsole.Skipped(r.SkippedImages.Count)} and {(r.SkippedImages.Count == 1 ? "was" : "were")} left out)." : ".");

    static (string[] Head, IEnumerable<string[]> Rows) ClassTable(AblationResult r) =>
        (r.RandomAccuracyAfter is null ? ["class", "images", "before", "after", "change"] : ["class", "images", "before", "after", "change", "random units"],
         r.Classes.Select(c => new[] { c.ClassName, c.Images.ToString(CultureInfo.InvariantCulture), Pct(c.Before), Pct(c.After),
             (c.Change * 100).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) }
             .Concat(c.RandomAfter is { } x ? [Pct(x)] : []).ToArray()));

    /// <summary>"3,7, 10-12" → [3, 7, 10, 11, 12].</summary>
    internal static IReadOnlyList<int> ParseUnits(string text)
    {
        var units = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-', 2, StringSplitOptions.TrimEntries);
            if (range.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                int a = int.Parse(range[0], CultureInfo.InvariantCulture), b = int.Parse(range[^1], CultureInfo.InvariantCulture);
                if (b >= a && b - a < 100_000)
                {
                    units.AddRange(Enumerable.Range(a, b - a + 1));
                    continue;
                }
            }
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"--units '{text}': '{part}' is not a unit number or a range; give e.g. 3,7,12 or 10-19.");
        }
        if (units.Count == 0)
            throw new CliUsageException("--units names no unit: give one or more, e.g. --units 3,7,12.");
        return units;
    }
}
