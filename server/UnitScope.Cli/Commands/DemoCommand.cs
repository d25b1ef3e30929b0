using System.CommandLine;
using System.Diagnostics;
using Spectre.Console;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Demo;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Report;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope demo [--out DIR]</c>, the main job on built-in defaults: generate the probe set,
/// train the demo CNN on its scenes (or take both from the cache), dissect every conv block's
/// output, and write the HTML report. Everything is cached, so a second run only rewrites the report.
/// </summary>
static class DemoCommand
{
    public static Command Create(CliContext cli)
    {
        var output = new Option<string>("--out") { Description = "Folder for the HTML report.", DefaultValueFactory = _ => Path.Combine("reports", "demo"), HelpName = "DIR" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder for the probe set, the demo model and results; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.", HelpName = "DIR" };
        var probeCount = new Option<int?>("--probe-count") { Description = "Images in the generated probe set (default 2000).", HelpName = "N" };
        var probeSize = new Option<int?>("--probe-size") { Description = "Side of the generated images in pixels (default 112).", HelpName = "PX" };
        var epochs = new Option<int?>("--epochs") { Description = $"Training epochs of the demo model (default {new DemoTrainingOptions().Epochs}).", HelpName = "N" };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto", HelpName = "DEVICE" };
        var command = new Command("demo", "The main job on built-in defaults: probe set, demo CNN, dissection of its conv layers, HTML report.")
        {
            output, cache, probeCount, probeSize, epochs, device,
        };
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var probeOptions = new ProbeSetOptions();
            if (parse.GetValue(probeCount) is { } n) probeOptions = probeOptions with { Count = n };
            if (parse.GetValue(probeSize) is { } px) probeOptions = probeOptions with { ImageSize = px };
            probeOptions.Validate();
            var training = new DemoTrainingOptions();
            if (parse.GetValue(epochs) is { } e)
                training = e > 0 ? training with { Epochs = e } : throw new CliUsageException("--epochs must be at least 1.");
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            var options = new DissectionOptions();
            var clock = Stopwatch.StartNew();

            IReadOnlyList<LayerDissection> results = [];
            var cached = new HashSet<string>(StringComparer.Ordinal);
            string report = "";
            Engine.ModelSession? session = null;
            try
            {
                await DissectionConsole.WithProgress(cli, async bars =>
                {
                    var probe = await DissectionConsole.Run(() => ProbeSet.EnsureBuiltIn(cacheFolder, probeOptions, bars.ForProbeSet(probeOptions.Count), ct), ct);
                    string checkpoint = await DissectionConsole.Run(() => DemoModel.EnsureTrained(probe, cacheFolder, training, bars.ForTraining(), ct), ct);
                    session = await Sessions.LoadAsync(cli, checkpoint, DemoModel.ModelOptionsFor(probe, parse.GetValue(device) ?? "auto"), ct);
                    var layers = DemoModel.DissectedLayers(session);
                    var service = new DissectionService(new DissectionStore(cacheFolder), log: cli.Info);
                    results = await DissectionConsole.Run(() => service.Dissect(session, probe, layers, options, bars.ForDissection(cached), ct), ct);
                    report = await DissectionConsole.Run(() => DissectionConsole.WriteReport(outDir, session, probe, results, options.BatchSize, bars, ct), ct);
                });
            }
            finally
            {
                session?.Dispose();
            }

            cli.Out.MarkupLine($"Demo model: [bold]{Markup.Escape(DemoModel.Architecture)}[/] trained on the probe set's scenes; dissected {results.Count} layers.");
            DissectionConsole.PrintResults(cli, results, cached, report, clock.Elapsed);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
