using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope rank MODEL --layer L --class C --data probe|IMAGEFOLDER [--metric accuracy|logprob] [--top 20] --out DIR</c>:
/// which units of a layer matter for a class. Each unit is removed alone and ranked by the drop in the class's
/// accuracy (or mean log-probability) on its images; then the top-k units are removed together against k
/// random ones (k = 1 … top), and the top unit is shown as a single-unit classifier of the class. Writes
/// curve.png, jitter.png, ranking.json, unit-stats.json and index.html to DIR. Units are labelled from a
/// stored dissection of the layer when there is one.
/// </summary>
static class RankCommand
{
    const int UnitsShown = 20;

    /// <summary>The command's options, made once in <see cref="Create"/> and read by its action.</summary>
    sealed class Options
    {
        public ModelArgument Model { get; } = new();
        public Option<string> Layer { get; } = new("--layer") { Description = "Layer whose units to rank, as in named_modules().", Required = true, HelpName = "L" };
        public Option<string> Class { get; } = new("--class") { Description = "Class of the evaluation set (name or index) whose units to find.", Required = true, HelpName = "C" };
        public Option<string> Metric { get; } = new("--metric") { Description = "Rank by the drop in the class's accuracy or in its mean log-probability (smoother on small sets).", DefaultValueFactory = _ => "accuracy", HelpName = "accuracy|logprob" };
        public Option<int> Top { get; } = new("--top") { Description = "The top-k vs random-k curve goes to k = this.", DefaultValueFactory = _ => 20, HelpName = "K" };
        public Option<int> Draws { get; } = new("--draws") { Description = "Random unit sets per k, averaged.", DefaultValueFactory = _ => 5, HelpName = "N" };
        public Option<int> Seed { get; } = new("--seed") { Description = "Seed of the random draws.", DefaultValueFactory = _ => 1, HelpName = "S" };
        public Option<string> Statistic { get; } = new("--statistic") { Description = "Single-unit plot: a unit's activation per image is the max or the mean of its map.", DefaultValueFactory = _ => "max", HelpName = "max|mean" };
        public EvaluationData Data { get; } = EvaluationData.Options();
        public Option<string> Output { get; } = new("--out") { Description = "Folder for curve.png, jitter.png, ranking.json and index.html.", Required = true, HelpName = "DIR" };
        public ModelOptionSet Shared { get; } = new();
    }

    public static Command Create(CliContext cli)
    {
        var o = new Options();
        var command = new Command("rank", "Rank a layer's units by how much removing each alone hurts a class; top-k vs random-k curve; the top unit as a classifier.")
        {
            o.Layer, o.Class, o.Metric, o.Top, o.Draws, o.Seed, o.Statistic, o.Output,
        };
        o.Data.AddTo(command);
        o.Shared.AddTo(command);
        o.Model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(() => RunAsync(cli, o, parse, ct), ct));
        return command;
    }

    static async Task<int> RunAsync(CliContext cli, Options o, ParseResult parse, CancellationToken ct)
    {
        var modelOptions = o.Shared.Read(parse);
        bool json = parse.GetValue(o.Shared.Json);
        var (request, unitStatistic) = ReadRequest(o, parse);
        var source = o.Data.Read(parse);
        string outDir = Path.GetFullPath(parse.GetValue(o.Output)!);

        using var session = await Sessions.LoadAsync(cli, o.Model.Read(parse), modelOptions, ct);
        session.GetLayer(request.Layer);
        var clock = Stopwatch.StartNew();
        var (ranking, stats, set, cached) = await ComputeAsync(cli, session, source, request, unitStatistic, ct);

        // The ranking reads the class's images, the unit statistics every image: together, each unreadable one once.
        var skipped = ranking.SkippedImages.Concat(stats.SkippedImages).DistinctBy(i => i.Index).OrderBy(i => i.Index).ToList();
        AnalysisConsole.WarnSkipped(cli, skipped, "unit-stats.json");
        string summary = Summary(ranking, stats);
        string page = WriteFiles(outDir, session, ranking, stats, summary);

        if (json)
        {
            cli.WriteJson(new
            {
                checkpoint = session.CheckpointPath, checkpointHash = session.CheckpointHash, cached, page,
                preprocessing = source.PreprocessingJson(session, set), skippedImages = skipped.Count, ranking, unitStats = stats
            });
            return ExitCodes.Ok;
        }
        Print(cli, ranking, summary, cached);
        cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/] ({clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
        return ExitCodes.Ok;
    }

    static (RankingRequest Request, UnitStatistic Statistic) ReadRequest(Options o, ParseResult parse)
    {
        var rankingMetric = parse.GetValue(o.Metric)!.Trim().ToLowerInvariant() switch
        {
            "accuracy" or "acc" => RankingMetric.Accuracy,
            "logprob" or "log-prob" or "logprobability" => RankingMetric.LogProbability,
            var other => throw new CliUsageException($"--metric '{other}': use accuracy or logprob."),
        };
        var unitStatistic = parse.GetValue(o.Statistic)!.Trim().ToLowerInvariant() switch
        {
            "max" => UnitStatistic.Max,
            "mean" => UnitStatistic.Mean,
            var other => throw new CliUsageException($"--statistic '{other}': use max or mean."),
        };
        var request = new RankingRequest
        {
            Layer = parse.GetValue(o.Layer)!.Trim(),
            Class = parse.GetValue(o.Class)!,
            Metric = rankingMetric,
            Top = parse.GetValue(o.Top),
            RandomDraws = parse.GetValue(o.Draws),
            Seed = parse.GetValue(o.Seed),
            BatchSize = parse.GetValue(o.Data.BatchSize),
        };
        if (request.Top < 1) throw new CliUsageException("--top must be at least 1.");
        if (request.RandomDraws < 1) throw new CliUsageException("--draws must be at least 1.");
        return (request, unitStatistic);
    }

    /// <summary>The ranking, then the top unit's statistics, each from the cache when stored; labels from a stored dissection.</summary>
    static async Task<(UnitRanking Ranking, SingleUnitStats Stats, Engine.Datasets.IEvaluationSet Set, bool Cached)> ComputeAsync(
        CliContext cli, Engine.ModelSession session, EvaluationData.Source source, RankingRequest request, UnitStatistic unitStatistic, CancellationToken ct)
    {
        var store = new AnalysisStore(source.CacheFolder);
        var dissections = new DissectionStore(source.CacheFolder);
        UnitRanking ranking = null!;
        SingleUnitStats stats = null!;
        Engine.Datasets.IEvaluationSet set = null!;
        bool cached = false;
        await AnalysisConsole.WithProgress(cli, async bars =>
        {
            set = await DissectionConsole.Run(() => source.Open(session, bars, ct), ct);
            cli.Info(source.Describe(set, session));
            foreach (string warning in source.ClassWarnings(session, set)) cli.Warn(warning);
            var key = AnalysisKey.Ranking(session, set, request);
            ranking = await DissectionConsole.Run(() => store.GetOrCompute(key,
                () => Ablator.Rank(session, set, request, bars.ForAblation(), ct), out cached, cli.Info), ct);
            ranking = UnitLabels.Attach(ranking, dissections);
            var single = new SingleUnitRequest
            {
                Layer = request.Layer, Unit = ranking.Units[0].Unit, Class = ranking.ClassIndex.ToString(CultureInfo.InvariantCulture),
                Statistic = unitStatistic, BatchSize = request.BatchSize,
            };
            stats = await DissectionConsole.Run(() => store.GetOrCompute(AnalysisKey.SingleUnit(session, set, single),
                () => Ablator.SingleUnit(session, set, single, bars.ForAblation(), ct), out _, cli.Info), ct);
            stats = UnitLabels.Attach(stats, dissections);
        });
        return (ranking, stats, set, cached);
    }

    /// <summary>curve.png, jitter.png, ranking.json, unit-stats.json and index.html in DIR; returns the page's path.</summary>
    static string WriteFiles(string outDir, Engine.ModelSession session, UnitRanking ranking, SingleUnitStats stats, string summary)
    {
        Directory.CreateDirectory(outDir);
        Sessions.WriteFile(Path.Combine(outDir, "curve.png"), RemovalCurveChart.RenderPng(ranking));
        Sessions.WriteFile(Path.Combine(outDir, "jitter.png"), JitterPlot.RenderPng(stats));
        AnalysisPage.WriteJson(Path.Combine(outDir, "ranking.json"), ranking);
        AnalysisPage.WriteJson(Path.Combine(outDir, "unit-stats.json"), stats);
        return AnalysisPage.Write(outDir, $"Units of {ranking.Layer} that matter for {ranking.ClassName}", session, summary,
            ["curve.png", "jitter.png"],
            (["rank", "unit", "accuracy drop", "log-prob drop", "label"], ranking.Units.Take(UnitsShown).Select((u, i) => new[]
            {
                (i + 1).ToString(CultureInfo.InvariantCulture), u.Unit.ToString(CultureInfo.InvariantCulture),
                (u.AccuracyDrop * 100).ToString("0.0", CultureInfo.InvariantCulture) + " pts", u.LogProbabilityDrop.ToString("0.000", CultureInfo.InvariantCulture),
                Label(u),
            })), "ranking.json");
    }

    /// <summary>The summary, the ranked units and the removal curve, on stdout.</summary>
    static void Print(CliContext cli, UnitRanking ranking, string summary, bool cached)
    {
        cli.Out.MarkupLine($"[bold]{Markup.Escape(ranking.Layer)}[/] units for [bold]{Markup.Escape(ranking.ClassName)}[/]" +
            $"{(cached ? " [grey](from the cache)[/]" : "")}: {Markup.Escape(summary)}");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("#").RightAligned()).AddColumn(new TableColumn("Unit").RightAligned())
            .AddColumn(new TableColumn("Accuracy drop").RightAligned()).AddColumn(new TableColumn("Log-prob drop").RightAligned()).AddColumn("Label");
        int rank = 1;
        foreach (var u in ranking.Units.Take(UnitsShown))
            table.AddRow((rank++).ToString(CultureInfo.InvariantCulture), u.Unit.ToString(CultureInfo.InvariantCulture),
                (u.AccuracyDrop * 100).ToString("0.0", CultureInfo.InvariantCulture), u.LogProbabilityDrop.ToString("0.000", CultureInfo.InvariantCulture),
                Markup.Escape(Label(u)));
        cli.Out.Write(table);
        var curve = new Table().Border(TableBorder.Rounded).AddColumn(new TableColumn("k").RightAligned())
            .AddColumn(new TableColumn("Top-k removed").RightAligned()).AddColumn(new TableColumn("Random-k removed").RightAligned());
        foreach (var p in ranking.Curve.Where(p => p.K is 1 or 2 or 4 or 8 or 10 or 16 or 20 or 32 or 50 or 64 || p.K == ranking.Curve[^1].K).DistinctBy(p => p.K))
            curve.AddRow(p.K.ToString(CultureInfo.InvariantCulture), Pct(p.TopAccuracy), $"{Pct(p.RandomAccuracy)} ± {(p.RandomAccuracyStd * 100).ToString("0.0", CultureInfo.InvariantCulture)}");
        cli.Out.Write(curve);
    }

    static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    static string Label(RankedUnit u) =>
        u.Label is { } l ? $"{l} ({u.LabelCategory}, IoU {u.LabelIou?.ToString("0.00", CultureInfo.InvariantCulture)})" : "";

    static string SkippedNote(UnitRanking r, SingleUnitStats s)
    {
        int count = r.SkippedImages.Concat(s.SkippedImages).DistinctBy(i => i.Index).Count();
        return count == 0 ? "" : $" ({AnalysisConsole.Skipped(count)} and {(count == 1 ? "was" : "were")} left out)";
    }

    static string Summary(UnitRanking r, SingleUnitStats s)
    {
        var last = r.Curve[^1];
        string labels = r.LabelSource is { } source ? $" Labels: {source}." : "";
        string label = s.Label is { } l ? $" ({l})" : "";
        string statistic = s.Statistic == UnitStatistic.Max ? "max" : "mean";
        return FormattableString.Invariant(
            $"accuracy {Pct(r.BaseAccuracy)} on {r.Images} images of {r.ClassName}{SkippedNote(r, s)}; with the top {last.K} units removed {Pct(last.TopAccuracy)}, with {last.K} random units {Pct(last.RandomAccuracy)}. Top unit {s.Unit}{label}: mean {statistic} activation {s.MeanInClass:G4} on {r.ClassName} vs {s.MeanOthers:G4} on the rest, AUC {s.Auc:0.00}.{labels}");
    }
}
