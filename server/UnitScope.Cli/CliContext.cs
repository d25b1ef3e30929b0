using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using UnitScope.Engine;

namespace UnitScope.Cli;

/// <summary>
/// Where a command writes: <see cref="Out"/> (stdout: tables, or the JSON document and nothing
/// else under --json) and <see cref="Err"/> (stderr: progress, logs, errors). Also turns failures
/// into exit codes (see <see cref="ExitCodes"/>).
/// </summary>
public sealed class CliContext
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public CliContext(TextWriter stdout, TextWriter stderr, bool colors)
    {
        StdOut = stdout;
        StdErr = stderr;
        Out = Console(stdout, colors);
        Err = Console(stderr, colors);
    }

    /// <summary>The process's console streams, with colour where they are terminals.</summary>
    public static CliContext ForProcess() =>
        new(System.Console.Out, System.Console.Error, colors: true);

    public TextWriter StdOut { get; }
    public TextWriter StdErr { get; }
    public IAnsiConsole Out { get; }
    public IAnsiConsole Err { get; }

    /// <summary>A progress or log line on stderr.</summary>
    public void Info(string text) => Err.MarkupLine("[grey]" + Markup.Escape(text) + "[/]");

    /// <summary>Something that may make the results wrong, on stderr: "Warning: …".</summary>
    public void Warn(string text) => Err.MarkupLine("[yellow]Warning:[/] " + Markup.Escape(text));

    public void WriteJson(object value)
    {
        StdOut.WriteLine(JsonSerializer.Serialize(value, Json));
        StdOut.Flush();
    }

    /// <summary>Runs a command body, mapping what it throws to an exit code and a message on stderr.</summary>
    public async Task<int> RunAsync(Func<Task<int>> body, CancellationToken ct)
    {
        try
        {
            return await body();
        }
        catch (UnitScopeException e)
        {
            Error(e.Message);
            return ExitCodes.UserError;
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions is [UnitScopeException first, ..])
        {
            // A problem with the input met on a worker thread (Parallel.For) is still a problem with the input.
            Error(first.Message);
            return ExitCodes.UserError;
        }
        catch (CliUsageException e)
        {
            Error(e.Message);
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Err.MarkupLine("[yellow]Cancelled.[/]");
            return ExitCodes.Cancelled;
        }
        catch (Exception e)
        {
            Error("Internal error (a bug in UnitScope, please report it): " + e.GetType().Name + ": " + e.Message);
            StdErr.WriteLine(e.ToString());
            return ExitCodes.InternalError;
        }
        finally
        {
            StdOut.Flush();
            StdErr.Flush();
        }
    }

    public void Error(string message) => Err.MarkupLine("[red]error:[/] " + Markup.Escape(message));

    static IAnsiConsole Console(TextWriter writer, bool colors)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = colors ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = colors ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // Into a file or pipe, don't wrap lines at 80 columns (paths and messages stay on one line).
        if (!console.Profile.Out.IsTerminal)
            console.Profile.Width = 1000;
        return console;
    }
}

/// <summary>The process exit codes of <c>unitscope</c>.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command line itself is wrong (unknown option, missing argument): System.CommandLine's parse errors.</summary>
    public const int Usage = 1;
    /// <summary>The input is wrong: a missing or bad file, unknown layer, unit out of range, bad option value.</summary>
    public const int UserError = 2;
    /// <summary>An unexpected failure: a bug, reported with its stack trace.</summary>
    public const int InternalError = 3;
    /// <summary>Ctrl-C (SIGINT) or SIGTERM.</summary>
    public const int Cancelled = 130;
}

/// <summary>A usage mistake found after parsing (exit code 1).</summary>
public sealed class CliUsageException(string message) : Exception(message);
