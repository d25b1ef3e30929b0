using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Evolution;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope compare A.pth B.pth [--layers L1,L2] [--data probe|DIR] [--max-images 256] --out DIR</c>: two
/// checkpoints of one architecture compared layer by layer on the same images: linear CKA, units matched by
/// activation correlation (Hungarian assignment), labels where both were dissected, layers ranked by change. Writes
/// compare.png, compare.json and index.html to DIR; results are cached under both checkpoints' hashes.
/// </summary>
static class CompareCommand
{
    /// <summary>Images compared when --max-images is not given: enough positions for stable statistics, a few seconds.</summary>
    const int DefaultImages = 256;

    public static Command Create(CliContext cli)
    {
        var checkpoints = new Argument<string[]>("CHECKPOINTS")
        {
            Description = "The two model files to compare (A then B), of one architecture: " + ModelOptionSet.ModelFileDescription,
            Arity = new ArgumentArity(2, 2),
        };
        var layers = new Option<string?>("--layers") { Description = "Layers to compare, comma-separated; default: every convolution and linear layer.", HelpName = "L1,L2" };
        var output = new Option<string>("--out") { Description = "Folder for compare.png, compare.json and index.html.", Required = true, HelpName = "DIR" };
        var data = EvaluationData.Options();
        data.Data.Description = "Images both models see: \"probe\" (the built-in probe set), a Broden-format folder (with index.csv), or an image folder with one sub-folder per class.";
        data.MaxImages.Description = $"Use at most N images, evenly spread over the set; default {DefaultImages}.";
        data.BatchSize.DefaultValueFactory = _ => new ComparisonOptions().BatchSize;
        data.BatchSize.Description = "Images per forward pass of each model (speed and memory only).";
        var shared = new ModelOptionSet();
        var command = new Command("compare", "Compare two checkpoints of one architecture layer by layer: linear CKA, units matched across them by activation correlation, label changes, layers ranked by change.")
        {
            checkpoints, layers, output,
        };
        data.AddTo(command);
        shared.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var paths = parse.GetValue(checkpoints)!;
            var options = new ComparisonOptions { Layers = SweepValues.Layers(parse.GetValue(layers)), BatchSize = parse.GetValue(data.BatchSize) };
            var source = data.Read(parse);
            source = source with { MaxImages = source.MaxImages ?? DefaultImages };
            string outDir = Path.GetFullPath(parse.GetValue(output)!);

            using var a = await Sessions.LoadAsync(cli, paths[0], modelOptions, ct);
            using var b = await Sessions.LoadAsync(cli, paths[1], modelOptions, ct);
            var store = new AnalysisStore(source.CacheFolder);
            var dissections = new DissectionStore(source.CacheFolder);
            ComparisonResult result = null!;
            bool cached = false;
            await AnalysisConsole.WithProgress(cli, async bars =>
            {
                var images = await DissectionConsole.Run(() => GalleryCommand.Open(source, a, bars, ct), ct);
                cli.Info($"Image set: {images.Name} ({images.Count} images).");
                result = await DissectionConsole.Run(() => StoredComparison.Compute(store, dissections, a, b, images, options, out cached,
                    bars.ForComparison(), cli.Info, ct), ct);
            });

            Directory.CreateDirectory(outDir);
            Sessions.WriteFile(Path.Combine(outDir, "compare.png"), ComparisonChart.RenderPng(result));
            AnalysisPage.WriteJson(Path.Combine(outDir, "compare.json"), result);
            string summary = Summary(result, a, b);
            string page = AnalysisPage.Write(outDir, $"Compare: {Path.GetFileName(a.CheckpointPath)} → {Path.GetFileName(b.CheckpointPath)}", a, summary, ["compare.png"],
                (["layer", "units A→B", "CKA", "1 − CKA", "mean matched r", "units kept their index", "label changes"], Rows(result)), "compare.json");
            if (json)
            {
                cli.WriteJson(new
                {
                    checkpointA = a.CheckpointPath,
                    checkpointB = b.CheckpointPath,
                    cached,
                    page,
                    files = new[] { Path.Combine(outDir, "compare.png"), Path.Combine(outDir, "compare.json") },
                    result,
                    rankedByChange = result.RankedByChange,
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary) + (cached ? " [grey](from the cache)[/]" : ""));
            foreach (string name in result.RankedByChange.Take(5))
            {
                var layer = result.Layers.Single(l => l.Layer == name);
                string labels = layer.LabelChanges is { } changes ? $", {changes.ToString(CultureInfo.InvariantCulture)} label changes" : "";
                cli.Out.MarkupLine(Markup.Escape($"  {name}: CKA {F(layer.Cka)}, matched units' mean correlation {F(layer.MeanMatchedCorrelation)}{labels}"));
            }
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static string Summary(ComparisonResult result, ModelSession a, ModelSession b) =>
        $"{Path.GetFileName(a.CheckpointPath)} (A, sha256 {a.CheckpointHash[..12]}…) against {Path.GetFileName(b.CheckpointPath)} (B, sha256 {b.CheckpointHash[..12]}…) " +
        $"on {result.Images} images of {result.DatasetName}, {result.Layers.Count} layers. CKA is linear CKA over every image position (1: the layer's " +
        "representation is the same up to a rotation and scale); units are matched by the correlation of their activations (Hungarian assignment). " +
        $"Most changed first: {string.Join(", ", result.RankedByChange.Take(3))}.";

    static IEnumerable<string[]> Rows(ComparisonResult result) => result.RankedByChange.Select(name => result.Layers.Single(l => l.Layer == name)).Select(l => new[]
    {
        l.Layer,
        $"{l.UnitsA}→{l.UnitsB}",
        F(l.Cka),
        F(l.Change),
        F(l.MeanMatchedCorrelation),
        l.MatchedToSameIndex.ToString(CultureInfo.InvariantCulture),
        l.LabelChanges is { } c ? c.ToString(CultureInfo.InvariantCulture) : "not dissected",
    });

    static string F(double? v) => v is { } x ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "–";
}
