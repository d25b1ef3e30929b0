using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine.Demo;
using UnitScope.Engine.Storage;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope gan-demo [--cache DIR] [--json]</c>: the GAN demo's two models, trained on the probe scenes (32 px) on
/// first use and cached: a DCGAN generator (trained as a VAE's decoder, see <see cref="DemoGenerator"/>) and the scene
/// segmenter, whose pixel accuracy and mean IoU on held-back scenes it prints. Their paths feed <c>gan-dissect</c>
/// and <c>gan-edit</c>.
/// </summary>
static class GanDemoCommand
{
    public static Command Create(CliContext cli)
    {
        var cache = GanConsole.CacheOption();
        var json = new Option<bool>("--json") { Description = "Print the paths and the segmenter's quality as JSON on stdout." };
        var command = new Command("gan-demo", "Train (or take from the cache) the demo generator and scene segmenter on the probe scenes; print their paths and the segmenter's accuracy.")
        {
            cache, json,
        };
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            string cacheFolder = Path.GetFullPath(parse.GetValue(cache) ?? CacheDirectory.Resolve());
            var scenes = new GanDemoScenes();
            string generator = "", segmenter = "";
            var clock = Stopwatch.StartNew();
            await DissectionConsole.WithProgress(cli, async bars =>
            {
                segmenter = await DissectionConsole.Run(() => DemoSegmenter.EnsureTrained(cacheFolder, scenes, new SegmenterTrainingOptions(), bars.ForTraining("the demo segmenter"), ct), ct);
                generator = await DissectionConsole.Run(() => DemoGenerator.EnsureTrained(cacheFolder, scenes, new GeneratorTrainingOptions(), bars.ForTraining("the demo generator"), ct), ct);
            });
            var quality = DemoSegmenter.ReadQuality(segmenter);
            if (parse.GetValue(json))
            {
                cli.WriteJson(new { generator, segmenter, segmenterQuality = quality, seconds = clock.Elapsed.TotalSeconds });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine($"Generator: [green]{Markup.Escape(generator)}[/] (dcgan, {scenes.ImageSize} px)");
            cli.Out.MarkupLine($"Segmenter: [green]{Markup.Escape(segmenter)}[/]");
            if (quality is not null) GanConsole.PrintQuality(cli, quality);
            cli.Out.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"({clock.Elapsed.TotalSeconds:0} s) Next: unitscope gan-dissect {generator} --layer main.5")));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
