using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Adversarial;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using UnitScope.Rendering;
using UnitScope.Rendering.Adversarial;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope attack MODEL (--image IMG | --class C [--data DIR]) --layer L [--method fgsm|pgd] [--eps 8/255] [--target C] --out DIR</c>:
/// FGSM or PGD on an image or on the images of a class, then which units of a layer the attack changed most, compared
/// with the units that matter most for the source and the target class (<c>unitscope rank</c>'s ranking, on --data).
/// Writes per image the clean, attacked and perturbation PNGs (amplified so ε reaches black or white), attack.json,
/// units.json and index.html to DIR.
/// </summary>
static class AttackCommand
{
    const int UnitsShown = 15;

    public static Command Create(CliContext cli)
    {
        var model = new ModelArgument();
        var defaults = new AttackOptions();
        var image = new Option<string?>("--image") { Description = "Image file to attack (PNG, JPEG, BMP, WebP); without it, the images of --class in --data.", HelpName = "IMG" };
        var cls = new Option<string?>("--class") { Description = "With --data and no --image: the class (of the set, name or index) whose images are attacked; with --image: the image's true class (a model class), default: the model's prediction.", HelpName = "C" };
        var layer = new Option<string>("--layer") { Description = "Layer whose units are compared, as in named_modules().", Required = true, HelpName = "L" };
        var method = new Option<string>("--method") { Description = "fgsm (one step of ε) or pgd (--steps projected steps).", DefaultValueFactory = _ => "pgd", HelpName = "fgsm|pgd" };
        var eps = new Option<string>("--eps") { Description = "L∞ bound in pixel space, 1 = white: a number (0.031) or a fraction of 255 levels (8/255).", DefaultValueFactory = _ => "2/255", HelpName = "E" };
        var steps = new Option<int>("--steps") { Description = "PGD steps.", DefaultValueFactory = _ => defaults.Steps, HelpName = "N" };
        var step = new Option<string?>("--step") { Description = "PGD step size in pixel space (number or n/255); default 2.5 ε / steps.", HelpName = "A" };
        var randomStart = new Option<bool>("--random-start") { Description = "PGD starts from a random point of the ε-ball (seeded by --seed)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the random start.", DefaultValueFactory = _ => 1, HelpName = "S" };
        var target = new Option<string?>("--target") { Description = "Targeted attack towards this model class (name or index); default: untargeted.", HelpName = "C" };
        var limit = new Option<int>("--limit") { Description = "With --class: attack at most N of its images (the first ones).", DefaultValueFactory = _ => 16, HelpName = "N" };
        var top = new Option<int>("--top") { Description = "Compare the top K changed units with each class's top K ranked units.", DefaultValueFactory = _ => 10, HelpName = "K" };
        var noRanking = new Option<bool>("--no-ranking") { Description = "Skip the comparison with the classes' unit rankings (each unit removed alone: the slow part)." };
        var output = new Option<string>("--out") { Description = "Folder for the PNGs, attack.json, units.json and index.html.", Required = true, HelpName = "DIR" };
        var data = EvaluationData.Options();
        var sizing = new ImageSizingOptions();
        var shared = new ModelOptionSet();
        var command = new Command("attack", "Attack an image or a class's images (FGSM/PGD) and find the units of a layer that change most, against the units that matter for the classes.")
        {
            image, cls, layer, method, eps, steps, step, randomStart, seed, target, limit, top, noRanking, output,
        };
        data.AddTo(command);
        shared.AddTo(command);
        model.AddTo(command);
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            var modelOptions = shared.Read(parse);
            bool json = parse.GetValue(shared.Json);
            string? imagePath = parse.GetValue(image);
            string? className = parse.GetValue(cls);
            if (imagePath is null && className is null)
                throw new CliUsageException("Name what to attack: --image IMG, or --class C (with --data) for that class's images.");
            if (parse.GetValue(limit) < 1) throw new CliUsageException("--limit must be at least 1.");
            var attackMethod = parse.GetValue(method)!.Trim().ToLowerInvariant() switch
            {
                "fgsm" => AttackMethod.Fgsm,
                "pgd" => AttackMethod.Pgd,
                var other => throw new CliUsageException($"--method '{other}': use fgsm or pgd."),
            };
            var request = new AdversarialUnitRequest
            {
                Layer = parse.GetValue(layer)!.Trim(),
                Top = parse.GetValue(top),
                RankingBatchSize = parse.GetValue(data.BatchSize),
                Attack = new AttackOptions
                {
                    Method = attackMethod,
                    Epsilon = ParsePixels("--eps", parse.GetValue(eps)!),
                    Steps = parse.GetValue(steps),
                    StepSize = parse.GetValue(step) is { } stepText ? ParsePixels("--step", stepText) : null,
                    RandomStart = parse.GetValue(randomStart),
                    Seed = parse.GetValue(seed),
                },
            };
            if (request.Top < 1) throw new CliUsageException("--top must be at least 1.");
            var source = data.Read(parse);
            // With --image, the set serves only the rankings: used when named, or when the image's classes are the probe scenes'.
            bool rank = !parse.GetValue(noRanking) && (imagePath is null || parse.GetResult(data.Data) is { Implicit: false });
            string outDir = Path.GetFullPath(parse.GetValue(output)!);
            var decoded = imagePath is null ? null : await Sessions.LoadImageAsync(imagePath, ct);

            using var session = await Sessions.LoadAsync(cli, model.Read(parse), modelOptions, ct);
            session.GetLayer(request.Layer);
            if (parse.GetValue(target) is { } t)
                request = request with { Attack = request.Attack with { TargetClass = ModelClass(session, t, "--target") } };
            AdversarialAttack.Check(request.Attack, session.ClassCount);
            AdversarialUnitReport report = null!;
            IEvaluationSet? set = null;
            await AnalysisConsole.WithProgress(cli, async bars =>
            {
                if (rank || imagePath is null)
                {
                    set = await DissectionConsole.Run(() => source.Open(session, bars, ct), ct);
                    cli.Info(source.Describe(set, session));
                    foreach (string warning in source.ClassWarnings(session, set)) cli.Warn(warning);
                }
                List<AttackInput> inputs = decoded is not null
                    ? [new AttackInput(Path.GetFileName(imagePath!), await Sessions.Background(() => ImageSizingOptions.Apply(cli, session, sizing.Read(parse), decoded, imagePath!), ct),
                        className is null ? null : ModelClass(session, className, "--class"))]
                    : await Sessions.Background(() => ClassImages(session, set!, className!, parse.GetValue(limit)), ct);
                report = await DissectionConsole.Run(() => AdversarialUnitAnalysis.Run(session, inputs, request, rank ? set : null,
                    new AnalysisStore(source.CacheFolder), bars.ForAttack(), bars.ForAblation(), cli.Info, ct), ct);
            });

            var attack = report.Attack;
            Directory.CreateDirectory(outDir);
            var files = new List<string>();
            for (int i = 0; i < attack.Images.Count; i++)
            {
                var a = attack.Images[i];
                string suffix = attack.Images.Count == 1 ? "" : "-" + (i + 1).ToString("000", CultureInfo.InvariantCulture);
                foreach (var (name, png) in new[]
                {
                    ($"clean{suffix}.png", Png.Encode(a.Clean)),
                    ($"attacked{suffix}.png", Png.Encode(a.Attacked)),
                    ($"perturbation{suffix}.png", PerturbationImage.RenderPng(a.Clean, a.Attacked, attack.EpsilonLevels)),
                })
                {
                    Sessions.WriteFile(Path.Combine(outDir, name), png);
                    files.Add(name);
                }
            }
            AnalysisPage.WriteJson(Path.Combine(outDir, "attack.json"), AttackJson(attack));
            AnalysisPage.WriteJson(Path.Combine(outDir, "units.json"), new { report.Changes, report.Overlaps });
            string summary = Summary(report);
            string page = AnalysisPage.Write(outDir, $"Adversarial units of {report.Changes.Layer}", session, summary, files.Take(3),
                (["rank", "unit", "clean mean", "attacked mean", "mean |change|"], report.Changes.Units.Take(UnitsShown).Select((u, i) => new[]
                {
                    (i + 1).ToString(CultureInfo.InvariantCulture), u.Unit.ToString(CultureInfo.InvariantCulture),
                    u.CleanMean.ToString("G4", CultureInfo.InvariantCulture), u.AttackedMean.ToString("G4", CultureInfo.InvariantCulture),
                    u.MeanAbsoluteChange.ToString("G4", CultureInfo.InvariantCulture),
                })), "units.json");

            if (json)
            {
                cli.WriteJson(new
                {
                    checkpoint = session.CheckpointPath, checkpointHash = session.CheckpointHash, page,
                    files = files.Select(f => Path.Combine(outDir, f)),
                    attack = AttackJson(attack), changes = report.Changes, overlaps = report.Overlaps,
                });
                return ExitCodes.Ok;
            }
            cli.Out.MarkupLine(Markup.Escape(summary));
            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn(new TableColumn("#").RightAligned()).AddColumn(new TableColumn("Unit").RightAligned())
                .AddColumn(new TableColumn("Clean").RightAligned()).AddColumn(new TableColumn("Attacked").RightAligned())
                .AddColumn(new TableColumn("Mean |change|").RightAligned());
            int rankNo = 1;
            foreach (var u in report.Changes.Units.Take(UnitsShown))
                table.AddRow((rankNo++).ToString(CultureInfo.InvariantCulture), u.Unit.ToString(CultureInfo.InvariantCulture),
                    u.CleanMean.ToString("G4", CultureInfo.InvariantCulture), u.AttackedMean.ToString("G4", CultureInfo.InvariantCulture),
                    u.MeanAbsoluteChange.ToString("G4", CultureInfo.InvariantCulture));
            cli.Out.Write(table);
            cli.Out.MarkupLine($"Wrote [green]{Markup.Escape(page)}[/]");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>"0.031" or "8/255" → a value in pixel space.</summary>
    internal static double ParsePixels(string option, string text)
    {
        var parts = text.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length is 1 or 2 && parts.All(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)))
        {
            double value = double.Parse(parts[0], CultureInfo.InvariantCulture);
            if (parts.Length == 1) return value;
            double divisor = double.Parse(parts[1], CultureInfo.InvariantCulture);
            if (divisor > 0) return value / divisor;
        }
        throw new CliUsageException($"{option} '{text}' is not a number: give one in pixel space (0.031) or a fraction of the 255 levels (8/255).");
    }

    /// <summary>A model class by name or index, the message naming <paramref name="option"/>.</summary>
    static int ModelClass(ModelSession session, string text, string option)
    {
        try
        {
            return OccludeCommand.ResolveClass(session, text);
        }
        catch (UnitScopeException e) when (e.Kind == EngineErrorKind.InvalidArgument)
        {
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, e.Message.Replace("--class", option, StringComparison.Ordinal));
        }
    }

    /// <summary>The first <paramref name="limit"/> readable images of <paramref name="className"/> in the set, each with its model class.</summary>
    static List<AttackInput> ClassImages(ModelSession session, IEvaluationSet set, string className, int limit)
    {
        int cls = EvaluationSet.ResolveClass(set, className);
        int modelClass = EvaluationSet.MapClasses(set, session.ClassNames)[cls];
        var inputs = new List<AttackInput>();
        for (int i = 0; i < set.Count && inputs.Count < limit; i++)
            if (set.ClassOf(i) == cls)
                inputs.Add(new AttackInput(set.ImageName(i), set.Load(i).Image, modelClass));
        return inputs;
    }

    /// <summary>The attack without its pixels (those are the PNGs).</summary>
    static object AttackJson(AttackResult a) => new
    {
        a.CheckpointHash, a.Options, a.EpsilonLevels, a.Succeeded, a.SuccessRate,
        images = a.Images.Select(i => new
        {
            i.Name, i.SourceClass, i.CleanPrediction, i.AttackedPrediction, i.CleanSourceProbability, i.AttackedSourceProbability,
            i.AttackedTargetProbability, i.Succeeded, i.MaxChange,
        }),
    };

    static string Summary(AdversarialUnitReport r)
    {
        var a = r.Attack;
        var o = a.Options;
        string how = o.Method == AttackMethod.Fgsm ? "FGSM" : $"PGD ({o.EffectiveSteps} steps of {o.EffectiveStepSize * 255:0.##}/255{(o.RandomStart ? ", random start" : "")})";
        string goal = o.TargetClass is { } t ? $"towards class {t}" : "untargeted";
        string text = string.Create(CultureInfo.InvariantCulture,
            $"{how}, {goal}, ε = {o.Epsilon:0.####} ({a.EpsilonLevels}/255): fooled the model on {a.Succeeded} of {a.Images.Count} image{(a.Images.Count == 1 ? "" : "s")}. ");
        if (a.Images.Count == 1)
        {
            var i = a.Images[0];
            text += string.Create(CultureInfo.InvariantCulture,
                $"Prediction {i.CleanPrediction.Label} ({i.CleanPrediction.Probability:0.000}) → {i.AttackedPrediction.Label} ({i.AttackedPrediction.Probability:0.000}). ");
        }
        foreach (var overlap in r.Overlaps)
            text += string.Create(CultureInfo.InvariantCulture,
                $"Top {overlap.K} changed units of {r.Changes.Layer} vs the top {overlap.K} for the {overlap.Role} class {overlap.ClassName}: {overlap.Shared.Count} shared ({(overlap.Shared.Count == 0 ? "" : "units " + string.Join(", ", overlap.Shared) + "; ")}{overlap.ExpectedByChance:0.0} by chance). ");
        return text.TrimEnd();
    }
}
