using System.CommandLine;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Rendering;
using UnitScope.Rendering.Colormaps;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope unitmap MODEL.pth --layer L --unit U --image IMG --out map.png</c>: one unit's
/// activation over the image, upsampled and overlaid, written as PNG; prints the raw map's statistics. The image is
/// sized as the model's description says (<c>resize</c>, <c>centerCrop</c>; <c>--resize</c> / <c>--crop</c> win), and
/// the overlay is drawn over that image, the one the model saw.
/// </summary>
static class UnitMapCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var layer = new Option<string>("--layer") { Description = "Layer name as in named_modules(), e.g. features.28 or layer4.1.conv2 (see `unitscope layers`).", Required = true, HelpName = "NAME" };
        var unit = new Option<int>("--unit") { Description = "Unit (channel) index in the layer, from 0.", Required = true, HelpName = "U" };
        var image = new Option<string>("--image") { Description = "Image file (PNG, JPEG, BMP, WebP).", Required = true, HelpName = "IMG" };
        var output = new Option<string?>("--out") { Description = "PNG to write; default: IMAGE_LAYER_uUNIT.png in the current folder.", HelpName = "FILE" };
        var colormap = new Option<string>("--colormap") { Description = "viridis, inferno, jet or gray.", DefaultValueFactory = _ => "viridis", HelpName = "NAME" };
        var opacity = new Option<float>("--opacity") { Description = "Weight of the map over the image, 0…1.", DefaultValueFactory = _ => 0.5f, HelpName = "A" };
        var sizing = new ImageSizingOptions();
        var shared = new ModelOptionSet();
        var command = new Command("unitmap", "Write a unit's activation map over an image as a PNG overlay and print the map's min/max/mean.")
        {
            layer, unit, image, output, colormap, opacity,
        };
        sizing.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var options = shared.Read(parse);
            var givenSizing = sizing.Read(parse);
            var overlay = OverlayFrom(parse.GetValue(colormap)!, parse.GetValue(opacity));
            var imagePath = parse.GetValue(image)!;
            string layerName = parse.GetValue(layer)!;
            int unitIndex = parse.GetValue(unit);
            string outPath = parse.GetValue(output) ?? DefaultOut(imagePath, layerName, unitIndex);

            var decoded = await Sessions.LoadImageAsync(imagePath, ct);
            using var session = await Sessions.LoadAsync(cli, model.Read(parse), options, ct);
            CheckUnit(session, layerName, unitIndex);
            var picture = await Sessions.Background(() => ImageSizingOptions.Apply(cli, session, givenSizing, decoded, imagePath), ct);
            var map = await Sessions.Background(() => session.ComputeUnitMap(picture, layerName, unitIndex), ct);
            var png = await Sessions.Background(() => UnitMapRenderer.RenderOverlayPng(picture, map, overlay), ct);
            Sessions.WriteFile(outPath, png);

            if (parse.GetValue(shared.Json))
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    image = imagePath,
                    layer = map.Layer,
                    unit = map.Unit,
                    mapHeight = map.Height,
                    mapWidth = map.Width,
                    min = map.Min,
                    max = map.Max,
                    mean = map.Mean,
                    @out = Path.GetFullPath(outPath),
                    outWidth = picture.Width,
                    outHeight = picture.Height,
                    preprocessing = ImageSizingOptions.Json(session, session.ImageSizing(givenSizing)),
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine($"[bold]{Markup.Escape(map.Layer)}[/] unit [bold]{map.Unit}[/] on {Markup.Escape(Path.GetFileName(imagePath))}: map {map.Height}×{map.Width}");
            cli.Out.MarkupLine($"  min {Output.Number(map.Min)}  max {Output.Number(map.Max)}  mean {Output.Number(map.Mean)}");
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(Path.GetFullPath(outPath))}[/] ({picture.Width}×{picture.Height}).");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>Unknown layer and unit out of range, reported before any forward pass.</summary>
    public static void CheckUnit(ModelSession session, string layerName, int unit)
    {
        var info = session.GetLayer(layerName);
        if (unit < 0 || unit >= info.Units)
            throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                $"Unit {unit} is out of range: layer '{info.Name}' ({info.Kind}) has {info.Units} units, 0…{info.Units - 1}.");
    }

    public static OverlayOptions OverlayFrom(string colormap, float opacity)
    {
        Colormap cmap;
        try
        {
            cmap = Colormap.Get(colormap);
        }
        catch (ArgumentException e)
        {
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, "--colormap: " + e.Message, e);
        }
        if (!(opacity >= 0 && opacity <= 1))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"--opacity must be between 0 and 1, not {opacity}.");
        return new OverlayOptions { Colormap = cmap, Opacity = opacity };
    }

    static string DefaultOut(string imagePath, string layer, int unit)
    {
        var safeLayer = string.Concat(layer.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
        return $"{Path.GetFileNameWithoutExtension(imagePath)}_{safeLayer}_u{unit}.png";
    }
}
