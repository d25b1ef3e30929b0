using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Demo;
using UnitScope.Engine.Storage;

namespace UnitScope.Cli.Commands;

/// <summary>What <c>gan-demo</c>, <c>gan-dissect</c> and <c>gan-edit</c> share: the segmenter option (the demo's by
/// default, trained on first use), the dissection options, and the cached dissection an edit starts from.</summary>
static class GanConsole
{
    public static Option<string?> SegmenterOption() => new("--segmenter")
    {
        Description = "Segmentation model labelling the generated images (its label file NAME.segments.txt beside it: one " +
                      "'category<TAB>concept' line per output channel, each category's first '-' for none); default: the demo " +
                      "segmenter, trained on the probe scenes on first use (`unitscope gan-demo`).",
        HelpName = "FILE",
    };

    public static Option<string?> CacheOption() => new("--cache")
    {
        Description = "Cache folder; default: $UNITSCOPE_CACHE, else $XDG_CACHE_HOME/unitscope, else ~/.cache/unitscope.",
        HelpName = "DIR",
    };

    /// <summary>The segmenter the user named, or the demo's (trained into the cache the first time).</summary>
    public static async Task<ModelSegmenter> LoadSegmenterAsync(CliContext cli, string? path, string cacheFolder, string device,
        DissectionConsole.ProgressBars? bars, CancellationToken ct)
    {
        string checkpoint = path ?? await DissectionConsole.Run(() =>
            DemoSegmenter.EnsureTrained(cacheFolder, new GanDemoScenes(), new SegmenterTrainingOptions(), bars?.ForTraining("the demo segmenter"), ct), ct);
        cli.Info($"Segmenter {checkpoint} …");
        return await Sessions.Background(() => ModelSegmenter.Load(checkpoint, device), ct);
    }

    /// <summary>The layer's dissection from the store, or computed and stored.</summary>
    public static GanDissection Dissect(CliContext cli, ModelSession generator, ModelSegmenter segmenter, string layer, GanDissectionOptions options,
        string cacheFolder, DissectionConsole.ProgressBars bars, HashSet<string> cached, CancellationToken ct)
    {
        var store = new AnalysisStore(cacheFolder);
        var key = AnalysisKey.GanDissection(generator, segmenter.Identity, layer, options);
        var result = store.GetOrCompute(key, () => GanDissector.Run(generator, segmenter, layer, options, bars.ForDissection(cached), ct), out bool hit, cli.Info);
        if (hit)
        {
            cached.Add(layer);
            cli.Info($"{layer}: dissection from the cache ({options.Samples} samples, seed {options.Seed}).");
        }
        return result;
    }

    public static string Percent(double fraction) => (100 * fraction).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    public static void PrintQuality(CliContext cli, SegmenterQuality quality)
    {
        cli.Out.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Segmenter on {quality.Images} held-back probe scenes: pixel accuracy {quality.OverallPixelAccuracy:P1} (mean over categories), mean IoU {quality.OverallMeanIou:0.000}.")));
        var table = new Table().Border(TableBorder.Rounded).AddColumn("Category")
            .AddColumn(new TableColumn("Pixel accuracy").RightAligned()).AddColumn(new TableColumn("Mean IoU").RightAligned());
        foreach (var (category, accuracy) in quality.PixelAccuracy)
            table.AddRow(Markup.Escape(category), accuracy.ToString("P1", CultureInfo.InvariantCulture),
                quality.MeanIou.GetValueOrDefault(category).ToString("0.000", CultureInfo.InvariantCulture));
        cli.Out.Write(table);
    }
}
