using System.CommandLine;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Layers;
using UnitScope.Rendering;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope sample [--out DIR]</c>: a quick look at the bundled sample checkpoint: loads the SmallCNN, prints its layers and its
/// prediction on a bundled image, finds the unit of the last convolution that responds most to
/// that image, and writes its activation map (overlay and heatmap PNGs).
/// </summary>
static class SampleCommand
{
    const int DisplaySide = 256;

    public static Command Create(CliContext cli)
    {
        var output = new Option<string>("--out") { Description = "Folder for the PNGs.", DefaultValueFactory = _ => "unitscope-sample-out", HelpName = "DIR" };
        var samples = new Option<string?>("--samples") { Description = "The samples folder (smallcnn.pth, images/); default: found next to the program or in the checkout.", HelpName = "DIR" };
        var image = new Option<string?>("--image") { Description = "Image to use: a file, or the name of a sample image (circle, square, …); default: the first sample.", HelpName = "IMG" };
        var layer = new Option<string?>("--layer") { Description = "Layer to show; default: the last convolution.", HelpName = "NAME" };
        var unit = new Option<int?>("--unit") { Description = "Unit to show; default: the one with the highest activation on the image.", HelpName = "U" };
        var device = new Option<string>("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto", HelpName = "DEVICE" };
        var command = new Command("sample", "Run the bundled sample model on a bundled image and write a unit-activation map PNG.")
        {
            output, samples, image, layer, unit, device,
        };
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var folder = SamplesLocator.Find(parse.GetValue(samples));
            var imagePath = PickImage(folder, parse.GetValue(image));
            var outDir = Path.GetFullPath(parse.GetValue(output)!);

            var decoded = await Sessions.LoadImageAsync(imagePath, ct);
            using var session = await Sessions.LoadAsync(cli, Path.Combine(folder, SamplesLocator.Checkpoint),
                new ModelOptions { Device = parse.GetValue(device) ?? "auto" }, ct);
            // As predict and unitmap: sized as a description beside the checkpoint says (the bundled one has none).
            var picture = await Sessions.Background(() => ImageSizingOptions.Apply(cli, session, new(), decoded, imagePath), ct);

            var layers = new Table().Border(TableBorder.Rounded).Title($"{Markup.Escape(session.Architecture)}: {session.Layers.Count} layers")
                .AddColumn("Layer").AddColumn("Kind").AddColumn(new TableColumn("Units").RightAligned()).AddColumn("Output shape");
            foreach (var l in session.Layers)
                layers.AddRow(Markup.Escape(l.Name), Markup.Escape(l.Kind), l.Units.ToString(), Output.Shape(l.OutputShape));
            cli.Out.Write(layers);

            var prediction = await Sessions.Background(() => session.Predict(picture, Math.Min(3, Math.Max(1, session.ClassCount))), ct);
            cli.Out.MarkupLine($"Prediction for [bold]{Markup.Escape(Path.GetFileName(imagePath))}[/]: " +
                string.Join(", ", prediction.Top.Select(s => $"{Markup.Escape(s.Label)} {Output.Percent(s.Probability)}")));

            var chosenLayer = parse.GetValue(layer) is { } named ? session.GetLayer(named) : LastConvolution(session.Layers);
            var map = parse.GetValue(unit) is { } u
                ? await Sessions.Background(() => { UnitMapCommand.CheckUnit(session, chosenLayer.Name, u); return session.ComputeUnitMap(picture, chosenLayer.Name, u); }, ct)
                : await StrongestUnit(cli, session, picture, chosenLayer, ct);

            string stem = $"{Path.GetFileNameWithoutExtension(imagePath)}_{chosenLayer.Name}_u{map.Unit}";
            string overlayPath = Path.Combine(outDir, stem + "_overlay.png");
            string heatmapPath = Path.Combine(outDir, stem + "_heatmap.png");
            // Sample images are small (64×64): draw at a whole multiple of their size, at least 256 px.
            int scale = Math.Max(1, (int)Math.Ceiling(DisplaySide / (double)Math.Max(picture.Width, picture.Height)));
            var shown = Engine.Imaging.ImageResize.Resize(picture, picture.Width * scale, picture.Height * scale);
            Sessions.WriteFile(overlayPath, UnitMapRenderer.RenderOverlayPng(shown, map));
            Sessions.WriteFile(heatmapPath, Heatmap.RenderPng(map, shown.Width, shown.Height));

            cli.Out.MarkupLine($"Unit [bold]{map.Unit}[/] of [bold]{Markup.Escape(map.Layer)}[/] ({chosenLayer.Units} units, map {map.Height}×{map.Width}): " +
                $"min {Output.Number(map.Min)}, max {Output.Number(map.Max)}, mean {Output.Number(map.Mean)}");
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(overlayPath)}[/]");
            cli.Out.MarkupLine($"  and [green]{Markup.Escape(heatmapPath)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static string PickImage(string samplesFolder, string? requested)
    {
        if (requested is null)
            return SamplesLocator.Images(samplesFolder)[0];
        if (File.Exists(requested) || requested.IndexOfAny(['/', '\\']) >= 0 || Path.HasExtension(requested))
            return requested;
        var byName = SamplesLocator.Images(samplesFolder)
            .FirstOrDefault(f => string.Equals(Path.GetFileNameWithoutExtension(f), requested, StringComparison.OrdinalIgnoreCase));
        return byName ?? throw new UnitScopeException(EngineErrorKind.FileNotFound,
            $"No sample image '{requested}': use one of {string.Join(", ", SamplesLocator.Images(samplesFolder).Select(Path.GetFileNameWithoutExtension))} or a file path.");
    }

    /// <summary>The deepest Conv2d with a spatial output; else the deepest layer with one.</summary>
    static LayerInfo LastConvolution(IReadOnlyList<LayerInfo> layers)
    {
        bool Spatial(LayerInfo l) => l.OutputShape.Count == 3 && l.OutputShape[1] * l.OutputShape[2] > 1;
        return layers.LastOrDefault(l => l.Kind == "Conv2d" && Spatial(l))
            ?? layers.LastOrDefault(Spatial)
            ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument, "The sample model has no layer with a spatial output.");
    }

    static async Task<UnitMap> StrongestUnit(CliContext cli, ModelSession session, Engine.Imaging.RgbImage picture, LayerInfo layer, CancellationToken ct)
    {
        cli.Info($"Looking for the unit of {layer.Name} that responds most to the image ({layer.Units} units) …");
        UnitMap? best = null;
        for (int u = 0; u < layer.Units; u++)
        {
            int unit = u;
            var map = await Sessions.Background(() => session.ComputeUnitMap(picture, layer.Name, unit), ct);
            if (best is null || map.Max > best.Max)
                best = map;
        }
        return best!;
    }
}
