using System.CommandLine;
using Spectre.Console;
using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Rendering.Charts;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope filters MODEL [--layer L] --out DIR</c>: the first convolution's filters as a grid of pictures (Zeiler &amp;
/// Fergus figure 6), each stretched over its own range of weights. Writes filters.png to DIR.
/// </summary>
static class FiltersCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var layer = new Option<string?>("--layer") { Description = "A convolution whose filters see 1 or 3 channels (default: the model's first convolution).", HelpName = "L" };
        var output = new Option<string>("--out") { Description = "Folder for filters.png.", Required = true, HelpName = "DIR" };
        var shared = new ModelOptionSet();
        var command = new Command("filters", "Draw a convolution's filters (by default the first layer's) as a grid of pictures (Zeiler & Fergus figure 6).")
        {
            layer, output,
        };
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            var filters = LayerFilters.Read(session, parse.GetValue(layer));
            Directory.CreateDirectory(outDir);
            string png = Path.Combine(outDir, "filters.png");
            Sessions.WriteFile(png, FilterGrid.RenderPng(filters));
            string summary = $"{filters.Layer}: {filters.Filters} filters of {filters.Height}×{filters.Width} over {filters.Channels} channel{(filters.Channels == 1 ? "" : "s")}";
            if (parse.GetValue(shared.Json))
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    checkpointHash = session.CheckpointHash,
                    layer = filters.Layer,
                    filters = filters.Filters,
                    channels = filters.Channels,
                    size = new[] { filters.Height, filters.Width },
                    file = png,
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine($"{Markup.Escape(summary)}. Wrote [green]{Markup.Escape(png)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
