using System.CommandLine;
using UnitScope.Cli.Commands;
using UnitScope.Engine.Imaging;

namespace UnitScope.Cli;

/// <summary>The <c>unitscope</c> command tree, runnable in-process (tests pass their own writers).</summary>
public static class CliApp
{
    /// <summary>For every command: the most pixels an image may have (<see cref="ImageLimits"/>), checked before decoding.</summary>
    static readonly Option<long?> MaxImagePixels = new("--max-image-pixels")
    {
        Description = $"Refuse images with more pixels than this (width × height), checked before decoding; default " +
                      $"{ImageLimits.DefaultMaxPixels:N0}, or ${ImageLimits.EnvironmentVariable}.",
        HelpName = "N",
        Recursive = true,
    };

    public static RootCommand Build(CliContext cli)
    {
        var root = new RootCommand(
            "UnitScope: what each unit of a CNN has learned.\n" +
            "MODEL is a PyTorch checkpoint (.pth, .pt; a state_dict of a zoo architecture, detected or --arch), safetensors, " +
            "an ONNX model (.onnx), or a TorchSharp .dat with its C# class: --assembly PATH.dll or --source PATH.cs, and --type NAME.")
        {
            LayersCommand.Create(cli),
            PredictCommand.Create(cli),
            UnitMapCommand.Create(cli),
            ServeCommand.Create(cli),
            DemoCommand.Create(cli),
            SampleCommand.Create(cli),
            DissectCommand.Create(cli),
            OccludeCommand.Create(cli),
            AblateCommand.Create(cli),
            RankCommand.Create(cli),
            GalleryCommand.Create(cli),
            FiltersCommand.Create(cli),
            VisualizeCommand.Create(cli),
            InvarianceCommand.Create(cli),
            CorrespondenceCommand.Create(cli),
            GraphCommand.Create(cli),
            AttackCommand.Create(cli),
            CompareCommand.Create(cli),
            EvolveCommand.Create(cli),
            GanDemoCommand.Create(cli),
            GanDissectCommand.Create(cli),
            GanEditCommand.Create(cli),
        };
        root.Options.Add(MaxImagePixels);
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    /// <param name="handleTermination">Turn Ctrl-C / SIGTERM into cancellation (a real process); off for in-process runs.</param>
    public static async Task<int> RunAsync(string[] args, CliContext cli, bool handleTermination = false, CancellationToken ct = default)
    {
        var parse = Build(cli).Parse(args);
        var config = new InvocationConfiguration
        {
            Output = cli.StdOut,
            Error = cli.StdErr,
            ProcessTerminationTimeout = handleTermination ? TimeSpan.FromSeconds(2) : null,
        };
        if (parse.Errors.Count == 0 && parse.GetValue(MaxImagePixels) is { } maxPixels)
        {
            if (maxPixels < 1)
            {
                cli.Error($"--max-image-pixels must be a positive number of pixels; got {maxPixels}.");
                return ExitCodes.UserError;
            }
            // For this command's flow only (in-process runs share the process's default).
            using var _ = ImageLimits.Use(maxPixels);
            return await parse.InvokeAsync(config, ct);
        }
        return await parse.InvokeAsync(config, ct);
    }
}
