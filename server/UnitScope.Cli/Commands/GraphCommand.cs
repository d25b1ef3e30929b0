using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Analysis.ExplanatoryGraph;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope graph MODEL --layers L1,L2,L3 --data DIR|probe [--class C] [--image FILE]… --out DIR</c>: the explanatory
/// graph (seed 002) of the layers (top-down) over the images of one class; writes graph.json, graph.png, index.html and,
/// per <c>--image</c>, the nodes that fire on it (image-N.png) to DIR, and prints per layer how much of its activation
/// the nodes explain (split by the filters' dissection labels where the layer was dissected and cached).
/// </summary>
static class GraphCommand
{
    public static Command Create(CliContext cli)
    {
        var defaults = new GraphOptions();
        var model = new ModelArgument();
        var layers = new Option<string>("--layers") { Description = "Conv layers to mine, comma-separated, from the top down (the deepest first), as in named_modules().", Required = true, HelpName = "L1,L2,L3" };
        var cls = new Option<string?>("--class") { Description = "The category whose images to mine: a class folder of --data (or a probe scene); default: every image.", HelpName = "C" };
        var images = new Option<string[]>("--image") { Description = "An image to run the graph on: which nodes fire and where (repeatable).", HelpName = "FILE", AllowMultipleArgumentsPerToken = false };
        var patterns = new Option<int>("--patterns") { Description = "Patterns (nodes) per filter at most.", DefaultValueFactory = _ => defaults.PatternsPerFilter, HelpName = "N" };
        var parents = new Option<int>("--parents") { Description = "Parents per node (the paper's M).", DefaultValueFactory = _ => defaults.ParentsPerNode, HelpName = "M" };
        var iterations = new Option<int>("--iterations") { Description = "EM iterations per layer (the paper's T).", DefaultValueFactory = _ => defaults.Iterations, HelpName = "T" };
        var peaks = new Option<int>("--peaks") { Description = "Activation peaks kept per image and filter.", DefaultValueFactory = _ => defaults.PeaksPerMap, HelpName = "K" };
        var threshold = new Option<double>("--peak-threshold") { Description = "A peak counts from this share of its filter's largest peak.", DefaultValueFactory = _ => defaults.PeakThreshold, HelpName = "F" };
        var minFrequency = new Option<double>("--min-frequency") { Description = "Drop nodes firing on fewer than this share of the images.", DefaultValueFactory = _ => defaults.MinFrequency, HelpName = "F" };
        var output = new Option<string>("--out") { Description = "Folder for graph.json, graph.png, index.html and the --image figures.", Required = true, HelpName = "DIR" };
        var data = EvaluationData.Options();
        data.Data.Description = "Images: an image folder with one sub-folder per class (--class picks one), or \"probe\" (the built-in probe set's scenes).";
        var shared = new ModelOptionSet();
        var command = new Command("graph", "The explanatory graph (Zhang et al. 2018): the part patterns a CNN's filters encode over images of one category, mined top-down into a multi-layer graph.")
        {
            layers, cls, images, patterns, parents, iterations, peaks, threshold, minFrequency, output,
        };
        data.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var options = new GraphOptions
            {
                Layers = SweepValues.Layers(parse.GetValue(layers)) ?? [],
                PatternsPerFilter = parse.GetValue(patterns),
                ParentsPerNode = parse.GetValue(parents),
                Iterations = parse.GetValue(iterations),
                PeaksPerMap = parse.GetValue(peaks),
                PeakThreshold = parse.GetValue(threshold),
                MinFrequency = parse.GetValue(minFrequency),
                BatchSize = parse.GetValue(data.BatchSize),
            };
            var source = data.Read(parse);
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            string[] imagePaths = parse.GetValue(images) ?? [];
            var decoded = new List<RgbImage>();
            foreach (string path in imagePaths)
                decoded.Add(await Sessions.LoadImageAsync(path, ct));

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            var store = new AnalysisStore(source.CacheFolder);
            ExplanatoryGraphResult result = null!;
            bool cached = false;
            await AnalysisConsole.WithProgress(cli, async bars =>
            {
                var set = await DissectionConsole.Run(() => source.Open(session, bars, ct), ct);
                var category = CategoryImages.Of(set, parse.GetValue(cls));
                cli.Info($"Images: {category.Name} ({category.Count} images).");
                ExplanatoryGraphAnalysis.Validate(session, category.Count, options);
                var key = AnalysisKey.ExplanatoryGraph(session, category, options);
                result = await DissectionConsole.Run(() => store.GetOrCompute(key,
                    () => ExplanatoryGraphAnalysis.Run(session, category, options, bars.ForGraph(), ct), out cached, cli.Info), ct);
            });

            var dissections = new DissectionStore(source.CacheFolder);
            var explanations = result.Layers.Select(layer =>
            {
                var dissection = UnitLabels.Find(dissections, result.CheckpointHash, layer.Name);
                return GraphExplanation.For(layer, UnitLabels.Labels(dissections, result.CheckpointHash, layer.Name),
                    dissection is null ? null : UnitLabels.Source(dissection));
            }).ToList();
            var inferences = new List<(string Path, GraphInference Inference, string Figure)>();
            Directory.CreateDirectory(outDir);
            for (int i = 0; i < decoded.Count; i++)
            {
                var picture = source.Folder is null ? decoded[i] : session.SizeImage(decoded[i], source.FolderOptions);
                var inference = await Sessions.Background(() => ExplanatoryGraphAnalysis.Infer(session, result, picture), ct);
                string figure = Path.Combine(outDir, $"image-{i + 1}.png");
                Sessions.WriteFile(figure, ExplanatoryGraphFigure.RenderInferencePng(picture, result, inference));
                inferences.Add((Path.GetFullPath(imagePaths[i]), inference, figure));
            }

            Sessions.WriteFile(Path.Combine(outDir, "graph.png"), ExplanatoryGraphFigure.RenderPng(result));
            AnalysisPage.WriteJson(Path.Combine(outDir, "graph.json"), new { result, explanations, inferences = inferences.Select(x => new { image = x.Path, x.Inference.Layers }) });
            string summary = Summary(result);
            string page = AnalysisPage.Write(outDir, $"Explanatory graph: {string.Join(", ", options.Layers)}", session, summary,
                ["graph.png", .. inferences.Select(x => Path.GetFileName(x.Figure))], ExplanationTable(result, explanations), "graph.json");

            if (json)
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    checkpointHash = session.CheckpointHash,
                    cached,
                    page,
                    explanations,
                    inferences = inferences.Select(x => new { image = x.Path, x.Inference.Layers, figure = x.Figure }),
                    result,
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary) + (cached ? " [grey](from the cache)[/]" : ""));
            var (head, rows) = ExplanationTable(result, explanations);
            var table = new Table().Border(TableBorder.Rounded);
            foreach (string column in head) table.AddColumn(column);
            foreach (var row in rows) table.AddRow([.. row.Select(Markup.Escape)]);
            cli.Out.Write(table);
            foreach (var (path, inference, figure) in inferences)
            {
                cli.Out.MarkupLine(Markup.Escape($"{Path.GetFileName(path)}:"));
                foreach (var layer in inference.Layers)
                {
                    string strongest = string.Join(", ", layer.Firing.OrderByDescending(f => f.Strength).Take(5).Select(f =>
                        string.Create(CultureInfo.InvariantCulture, $"#{f.Node} at ({f.X * session.Input.Width:0}, {f.Y * session.Input.Height:0}) px")));
                    cli.Out.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"  {layer.Layer}: {layer.Firing.Count} nodes fire (explaining {Pct(layer.ExplainedShare)}); strongest: {strongest}")));
                }
            }
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static string Summary(ExplanatoryGraphResult r) =>
        $"{r.Layers.Sum(l => l.Nodes.Count)} nodes and {r.Layers.Sum(l => l.Edges.Count)} edges over {r.Images.Count} images of {r.DatasetName}; " +
        "per layer, the share of its positive activation the nodes' peaks account for, by the dissection labels of their filters.";

    static (string[] Head, IEnumerable<string[]> Rows) ExplanationTable(ExplanatoryGraphResult result, IReadOnlyList<LayerExplanation> explanations) =>
        (["layer", "nodes", "filters with nodes", "edges", "explained", .. GraphExplanation.Groups, "unexplained", "labels from"],
         result.Layers.Zip(explanations, (layer, e) => new[]
         {
             layer.Name, layer.Nodes.Count.ToString(CultureInfo.InvariantCulture),
             $"{layer.Nodes.Select(n => n.Filter).Distinct().Count()}/{layer.Filters}", layer.Edges.Count.ToString(CultureInfo.InvariantCulture),
             Pct(e.Explained),
         }.Concat(e.ByGroup.Select(g => Pct(g.Share))).Concat([Pct(e.Unexplained), e.LabelSource ?? "not dissected"]).ToArray()));

    static string Pct(double v) => (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
