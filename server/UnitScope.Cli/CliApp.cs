using System.CommandLine;
using UnitScope.Cli.Commands;

namespace UnitScope.Cli;

/// <summary>The <c>unitscope</c> command tree, runnable in-process (tests pass their own writers).</summary>
public static class CliApp
{
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
        };
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    /// <param name="handleTermination">Turn Ctrl-C / SIGTERM into cancellation (a real process); off for in-process runs.</param>
    public static Task<int> RunAsync(string[] args, CliContext cli, bool handleTermination = false, CancellationToken ct = default)
    {
        var parse = Build(cli).Parse(args);
        var config = new InvocationConfiguration
        {
            Output = cli.StdOut,
            Error = cli.StdErr,
            ProcessTerminationTimeout = handleTermination ? TimeSpan.FromSeconds(2) : null,
        };
        return parse.InvokeAsync(config, ct);
    }
}
