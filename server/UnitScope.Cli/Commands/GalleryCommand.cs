using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope gallery MODEL --layer L --unit U [--data probe|DIR] [--top 9] [--method auto|deconvnet|guided|gradient] --out DIR</c>:
/// Zeiler &amp; Fergus's figure 2 for one unit. One pass over the set collects the strongest activations of every unit
/// of the layer (cached, so other units of it come at once); the unit's winners are projected back to the pixels.
/// Writes gallery.png (per winner: the image with the receptive field outlined, the patch, the projection),
/// gallery.json and index.html to DIR.
/// </summary>
static class GalleryCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var layer = new Option<string>("--layer") { Description = "A layer with spatial maps (a convolution, a pooling, a block), as in named_modules().", Required = true, HelpName = "L" };
        var unit = new Option<int>("--unit") { Description = "The unit (channel) of --layer.", Required = true, HelpName = "U" };
        var defaults = new UnitGalleryOptions();
        var top = new Option<int>("--top") { Description = $"How many of the unit's strongest activations to show (1-{TopActivationOptions.MaxK}).", DefaultValueFactory = _ => defaults.K, HelpName = "K" };
        var method = new Option<string>("--method")
        {
            Description = "Projection to the pixels: deconvnet (Zeiler & Fergus; chains of conv/pool/ReLU only), guided (guided backpropagation), gradient, or auto (the deconvnet where it applies, else guided).",
            DefaultValueFactory = _ => "auto",
            HelpName = "auto|deconvnet|guided|gradient",
        };
        var output = new Option<string>("--out") { Description = "Folder for gallery.png, gallery.json and index.html.", Required = true, HelpName = "DIR" };
        var data = EvaluationData.Options();
        data.Data.Description = "Images: \"probe\" (the built-in probe set), a Broden-format folder (with index.csv), or an image folder with one sub-folder per class.";
        var shared = new ModelOptionSet();
        var command = new Command("gallery", "A unit's strongest activations over a dataset, each as the image patch under its receptive field and its projection back to the pixels (Zeiler & Fergus figure 2).")
        {
            layer, unit, top, method, output,
        };
        data.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            var options = new UnitGalleryOptions
            {
                K = parse.GetValue(top),
                Method = ParseMethod(parse.GetValue(method)!),
                BatchSize = parse.GetValue(data.BatchSize),
            };
            string layerName = parse.GetValue(layer)!.Trim();
            int unitIndex = parse.GetValue(unit);
            var source = data.Read(parse);
            string outDir = Path.GetFullPath(parse.GetValue(output)!);

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            var store = new AnalysisStore(source.CacheFolder);
            UnitGalleryResult result = null!;
            IImageSet images = null!;
            bool cached = false;
            await AnalysisConsole.WithProgress(cli, async bars =>
            {
                images = await DissectionConsole.Run(() => Open(source, session, bars, ct), ct);
                cli.Info($"Image set: {images.Name} ({images.Count} images).");
                result = await DissectionConsole.Run(() => UnitGallery.Compute(store, session, images, layerName, unitIndex, options,
                    out cached, bars.ForTopActivations(), cli.Info, ct), ct);
            });

            var pictures = await Sessions.Background(() => UnitGallery.Pictures(session, images, result), ct);
            Directory.CreateDirectory(outDir);
            Sessions.WriteFile(Path.Combine(outDir, "gallery.png"), UnitGalleryFigure.RenderPng(result, pictures));
            AnalysisPage.WriteJson(Path.Combine(outDir, "gallery.json"), result);
            var field = result.Projections.Field;
            string summary = $"{result.Layer} unit {result.Unit}: its {result.Projections.Items.Count} strongest activations over {result.Images} images of {result.DatasetName}. " +
                (field is null ? "The layer's receptive field is the whole input. " : $"Receptive field {field}. ") +
                result.Projections.Reason;
            string page = AnalysisPage.Write(outDir, $"Gallery: {result.Layer} unit {result.Unit}", session, summary, ["gallery.png"],
                (["rank", "image", "activation", "position", "field box (top, left, height, width)"], result.Projections.Items.Select((item, i) => new[]
                {
                    (i + 1).ToString(CultureInfo.InvariantCulture),
                    Path.GetFileName(result.ImagePaths[i]),
                    item.Activation.Value.ToString("G4", CultureInfo.InvariantCulture),
                    $"({item.Activation.Y}, {item.Activation.X})",
                    $"{item.Box.Top}, {item.Box.Left}, {item.Box.Height}, {item.Box.Width}",
                })), "gallery.json");

            if (json)
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    checkpointHash = session.CheckpointHash,
                    cached,
                    page,
                    files = new[] { Path.Combine(outDir, "gallery.png"), Path.Combine(outDir, "gallery.json") },
                    result,
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary) + (cached ? " [grey](strongest activations from the cache)[/]" : ""));
            foreach (var (item, i) in result.Projections.Items.Select((item, i) => (item, i)))
                cli.Out.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                    $"  {i + 1}. {Path.GetFileName(result.ImagePaths[i])}  {item.Activation.Value:G4} at ({item.Activation.Y}, {item.Activation.X})")));
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>The probe set, a Broden-format folder (it has index.csv), or an image folder, as <paramref name="source"/> names.</summary>
    internal static IImageSet Open(EvaluationData.Source source, ModelSession session, AnalysisConsole.Bars bars, CancellationToken ct)
    {
        IImageSet set = source.Folder is { } folder && File.Exists(Path.Combine(folder, "index.csv"))
            ? ImageSet.FromBroden(BrodenDataset.Open(folder))
            : ImageSet.FromEvaluationSet(source.Open(session, bars, ct));
        return source.MaxImages is { } max ? ImageSet.Limit(set, max) : set;
    }

    /// <summary>"auto" → null (the best that applies); else the method.</summary>
    internal static ProjectionMethod? ParseMethod(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => null,
        "deconvnet" or "deconv" => ProjectionMethod.Deconvnet,
        "guided" or "guided-backprop" => ProjectionMethod.GuidedBackprop,
        "gradient" => ProjectionMethod.Gradient,
        _ => throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"--method '{text}' is not a projection method: use auto, deconvnet, guided or gradient."),
    };
}
