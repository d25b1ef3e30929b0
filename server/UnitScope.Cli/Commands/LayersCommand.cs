using System.CommandLine;
using Spectre.Console;

namespace UnitScope.Cli.Commands;

/// <summary><c>unitscope layers MODEL.pth</c>: every addressable layer with its kind, units and output shape.</summary>
static class LayersCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var shared = new ModelOptionSet();
        var command = new Command("layers", "List every addressable layer: name, kind, units, output shape.");
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var options = shared.Read(parse);
            using var session = await Sessions.LoadAsync(cli, model.Read(parse), options, ct);
            if (parse.GetValue(shared.Json))
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    checkpointHash = session.CheckpointHash,
                    architecture = session.Architecture,
                    device = session.DeviceName,
                    input = Output.Input(session.Input),
                    classCount = session.ClassCount,
                    layers = session.Layers.Select(l => new { name = l.Name, kind = l.Kind, units = l.Units, outputShape = l.OutputShape }),
                });
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .Title($"{Markup.Escape(session.Architecture)} · {session.Layers.Count} layers · input {Output.Shape([session.Input.Channels, session.Input.Height, session.Input.Width])}")
                .AddColumn("Layer").AddColumn("Kind").AddColumn(new TableColumn("Units").RightAligned()).AddColumn("Output shape");
            foreach (var layer in session.Layers)
                table.AddRow(Markup.Escape(layer.Name), Markup.Escape(layer.Kind), layer.Units.ToString(), Output.Shape(layer.OutputShape));
            cli.Out.Write(table);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
