using System.CommandLine;

namespace UnitScope.Cli;

/// <summary>
/// The model file every model-running command takes, the one grammar for all of them: first positional
/// argument (<c>unitscope layers net.pth</c>) or <c>--model</c> (<c>unitscope dissect --model net.pth</c>),
/// either one, not two different files.
/// </summary>
public sealed class ModelArgument
{
    public Argument<string?> Positional { get; } = new("MODEL")
    {
        Description = ModelOptionSet.ModelFileDescription + " Or give it with --model.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public Option<string?> Named { get; } = new("--model")
    {
        Description = "The model file, instead of the MODEL argument.",
        HelpName = "FILE",
    };

    /// <summary>
    /// Adds the argument first, so that it is the command's first positional argument, and a check that reports
    /// a missing or doubled model with the other parse errors (before required options are complained about alone).
    /// </summary>
    public void AddTo(Command command)
    {
        command.Arguments.Insert(0, Positional);
        command.Add(Named);
        command.Validators.Add(result =>
        {
            if (Problem(Trimmed(result.GetValue(Positional)), Trimmed(result.GetValue(Named)), command.Name) is { } problem)
                result.AddError(problem);
        });
    }

    /// <summary>The model file (the parse was validated by <see cref="AddTo"/>'s check).</summary>
    /// <exception cref="CliUsageException">No model given, or two different ones.</exception>
    public string Read(ParseResult parse)
    {
        string? positional = Trimmed(parse.GetValue(Positional));
        string? named = Trimmed(parse.GetValue(Named));
        if (Problem(positional, named, parse.CommandResult.Command.Name) is { } problem)
            throw new CliUsageException(problem);
        return (positional ?? named)!;
    }

    static string? Problem(string? positional, string? named, string command) =>
        (positional, named) switch
        {
            (null, null) => $"Which model? Give the model file first: unitscope {command} MODEL.pth … (or --model MODEL.pth).",
            ({ } a, { } b) when a != b => $"Two models given: {a} and --model {b}. Give one.",
            _ => null,
        };

    static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
