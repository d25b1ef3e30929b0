using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope predict MODEL.pth --image IMG [--top 5] [--resize N] [--crop SIZE]</c>: the most probable classes of the
/// image sized as the model's description says (<c>resize</c>, <c>centerCrop</c>), the flags winning. A model with one
/// output (a discriminator) gets that output shown as a score, not "class 0, 100%".
/// </summary>
static class PredictCommand
{
    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var image = new Option<string>("--image") { Description = "Image file (PNG, JPEG, BMP, WebP).", Required = true, HelpName = "IMG" };
        var top = new Option<int>("--top") { Description = "How many classes to list.", DefaultValueFactory = _ => 5, HelpName = "K" };
        var sizing = new ImageSizingOptions();
        var shared = new ModelOptionSet();
        var command = new Command("predict", "Classify an image: top classes with probabilities (--json adds all logits and probabilities).") { image, top };
        sizing.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var options = shared.Read(parse);
            var givenSizing = sizing.Read(parse);
            int k = parse.GetValue(top);
            if (k < 1)
                throw new Engine.UnitScopeException(Engine.EngineErrorKind.InvalidArgument, $"--top must be at least 1, not {k}.");
            var imagePath = parse.GetValue(image)!;
            var decoded = await Sessions.LoadImageAsync(imagePath, ct);
            using var session = await Sessions.LoadAsync(cli, model.Read(parse), options, ct);
            var picture = await Sessions.Background(() => ImageSizingOptions.Apply(cli, session, givenSizing, decoded, imagePath), ct);
            var prediction = await Sessions.Background(() => session.Predict(picture, Math.Min(k, Math.Max(1, session.ClassCount))), ct);

            if (parse.GetValue(shared.Json))
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath,
                    image = imagePath,
                    architecture = session.Architecture,
                    device = session.DeviceName,
                    preprocessing = ImageSizingOptions.Json(session, session.ImageSizing(givenSizing)),
                    imageWidth = picture.Width,
                    imageHeight = picture.Height,
                    top = prediction.Top.Select(s => new { index = s.Index, label = s.Label, probability = s.Probability }),
                    logits = prediction.Logits,
                    probabilities = prediction.Probabilities,
                    score = prediction.Score,
                });
                return ExitCodes.Ok;
            }
            if (prediction.Score is { } score)
            {
                cli.Out.MarkupLine($"{Markup.Escape(Path.GetFileName(imagePath))}: output [bold]{score.ToString("0.0000", CultureInfo.InvariantCulture)}[/]");
                cli.Out.MarkupLine("[grey]The model has one output: a score (a discriminator's real/fake, a regression), not class probabilities.[/]");
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded)
                .Title(Markup.Escape(Path.GetFileName(imagePath)))
                .AddColumn(new TableColumn("#").RightAligned()).AddColumn("Class").AddColumn(new TableColumn("Index").RightAligned())
                .AddColumn(new TableColumn("Probability").RightAligned());
            int rank = 1;
            foreach (var s in prediction.Top)
                table.AddRow((rank++).ToString(), Markup.Escape(s.Label), s.Index.ToString(), Output.Percent(s.Probability));
            cli.Out.Write(table);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
