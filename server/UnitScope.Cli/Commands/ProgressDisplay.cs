using Spectre.Console;

namespace UnitScope.Cli.Commands;

/// <summary>
/// The progress display of the long commands (<c>dissect</c>, <c>demo</c>, <c>occlude</c>, <c>ablate</c>, <c>rank</c>),
/// on stderr: a live bar per phase with its percentage, elapsed time and a spinner on a terminal, milestone lines
/// otherwise. What the bars are (<see cref="DissectionConsole.ProgressBars"/>, <see cref="AnalysisConsole.Bars"/>)
/// is each command family's own.
/// </summary>
static class ProgressDisplay
{
    public static async Task Run(CliContext cli, Func<ProgressContext, Task> body)
    {
        var console = ReferenceEquals(cli.StdErr, Console.Error) && !Console.IsErrorRedirected
            ? AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(Console.Error),
                Ansi = AnsiSupport.Detect,
                ColorSystem = ColorSystemSupport.Detect,
                Interactive = InteractionSupport.Detect,
            })
            : cli.Err;
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(body);
    }
}
