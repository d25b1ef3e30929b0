using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Demo;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Report;

namespace UnitScope.Cli.Commands;

/// <summary>What <c>dissect</c> and <c>demo</c> share on the terminal: progress bars, background runs, summaries.</summary>
static class DissectionConsole
{
    const int TopUnitsShown = 10;

    /// <summary>Synchronous Engine work on the thread pool, awaited to its end so a cancelled run cleans up after itself.</summary>
    public static async Task<T> Run<T>(Func<T> work, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return await Task.Run(work, CancellationToken.None);
    }

    /// <summary>
    /// The HTML report of <paramref name="results"/>: drawn from the results' own masks when they were just
    /// computed, else from masks the model computes again on the top images (a result read from the cache).
    /// </summary>
    public static string WriteReport(string outDir, ModelSession session, ISegmentationDataset dataset, IReadOnlyList<LayerDissection> results,
        int batchSize, ProgressBars bars, CancellationToken ct) =>
        DissectionReport.Write(outDir, new ReportSubject(session.CheckpointPath, session.Architecture, session.CheckpointHash), dataset, results,
            new ReportOptions(), bars.ForReport(), ct, (layer, units, c) => TopImageMasks.ForLayer(session, dataset, layer, units, batchSize, c));

    /// <summary>Each layer's summary, then where the report is and how long the run took.</summary>
    public static void PrintResults(CliContext cli, IReadOnlyList<LayerDissection> results, IReadOnlySet<string> cached, string report, TimeSpan elapsed)
    {
        foreach (var result in results)
            PrintSummary(cli, result, cached.Contains(result.Layer));
        cli.Out.MarkupLine($"Report: [green]{Markup.Escape(report)}[/] ({elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)");
    }

    public static void PrintSummary(CliContext cli, LayerDissection layer, bool cached)
    {
        var perCategory = Rendering.Charts.LayerSummaryChart.Counts(layer);
        string categories = perCategory.Count == 0
            ? "no unit labelled"
            : string.Join(" · ", perCategory.Select(c => $"{c.Units} {c.Category}"));
        cli.Out.MarkupLine($"[bold]{Markup.Escape(layer.Layer)}[/]: {layer.LabelledUnits} of {layer.Units.Count} units labelled ({Markup.Escape(categories)})" +
            $"{(cached ? " [grey](from the cache)[/]" : "")}");
        var best = layer.Units.Where(u => u.Label is not null).OrderByDescending(u => u.Label!.Iou).ThenBy(u => u.Unit).Take(TopUnitsShown).ToList();
        if (best.Count == 0)
            return;
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("Unit").RightAligned()).AddColumn("Label").AddColumn("Category").AddColumn(new TableColumn("IoU").RightAligned());
        foreach (var unit in best)
            table.AddRow(unit.Unit.ToString(CultureInfo.InvariantCulture), Markup.Escape(unit.Label!.Concept), Markup.Escape(unit.Label.Category),
                unit.Label.Iou.ToString("0.000", CultureInfo.InvariantCulture));
        cli.Out.Write(table);
    }

    /// <summary>Runs <paramref name="body"/> with a Spectre progress display on stderr: a live bar on a terminal, milestone lines otherwise.</summary>
    public static Task WithProgress(CliContext cli, Func<ProgressBars, Task> body) => ProgressDisplay.Run(cli, ctx => body(new ProgressBars(ctx)));

    /// <summary>One bar per phase (probe set, thresholds, IoU per layer, report per layer), with images/s.</summary>
    public sealed class ProgressBars(ProgressContext ctx)
    {
        readonly object _gate = new();
        readonly Dictionary<string, (ProgressTask Task, Stopwatch Clock)> _tasks = new(StringComparer.Ordinal);
        ProgressTask? _current;

        public IProgress<int> ForProbeSet(int total) => new SyncProgress<int>(done => Update("generating the probe set", done, total, "images"));

        public IProgress<DissectionProgress> ForDissection(HashSet<string> cached) => new SyncProgress<DissectionProgress>(p =>
        {
            if (p.Phase == AnalysisPhase.Cached && p.CompletedLayer is { } hit)
            {
                lock (cached) cached.Add(hit.Layer);
                Update($"{hit.Layer}: from the cache", 1, 1, null);
                return;
            }
            string what = p.Phase switch
            {
                AnalysisPhase.Thresholds => "pass 1: unit thresholds",
                AnalysisPhase.Quantiles => $"exact thresholds of {p.Layer}, round {p.Round}",
                AnalysisPhase.Iou => $"pass 2: IoU{(p.Layer is { } l ? " of " + l : "")}",
                _ => p.Phase.ToString(),
            };
            Update(what, p.ImagesDone, p.ImagesTotal, "images");
        });

        public IProgress<TrainingProgress> ForTraining(string model = "the demo model") => new SyncProgress<TrainingProgress>(p =>
            Update(p.ValidationAccuracy is { } accuracy
                    ? $"training {model}: epoch {p.Epoch}/{p.Epochs}, validation accuracy {accuracy:P0}"
                    : $"training {model}: epoch {p.Epoch}/{p.Epochs}",
                p.ImagesDone, p.ImagesPerEpoch, "images"));

        public IProgress<Engine.Analysis.Gan.GanProgress> ForGanEdit(string what) => new SyncProgress<Engine.Analysis.Gan.GanProgress>(p =>
            Update(what, p.Done, p.Total, "samples"));

        public IProgress<ReportProgress> ForReport() => new SyncProgress<ReportProgress>(p => Update($"report: {p.Layer} unit cards", p.UnitsDone, p.UnitsTotal, "units"));

        void Update(string phase, int done, int? total, string? unit)
        {
            lock (_gate)
            {
                if (!_tasks.TryGetValue(phase, out var entry))
                {
                    if (_current is { IsFinished: false } previous)
                        previous.Value = previous.MaxValue;
                    entry = (ctx.AddTask(Markup.Escape(phase), maxValue: Math.Max(1, total ?? done)), Stopwatch.StartNew());
                    _tasks[phase] = entry;
                    _current = entry.Task;
                }
                var (task, clock) = entry;
                if (total is { } t && t > 0) task.MaxValue = t;
                else if (done > task.MaxValue) task.MaxValue = done;
                task.Value = Math.Min(done, task.MaxValue);
                double seconds = clock.Elapsed.TotalSeconds;
                if (unit is not null && seconds > 0.5 && done > 0)
                    task.Description = Markup.Escape($"{phase} · {done / seconds:0.#} {unit}/s");
            }
        }
    }
}
