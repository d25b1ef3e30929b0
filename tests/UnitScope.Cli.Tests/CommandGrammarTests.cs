using System.CommandLine;

namespace UnitScope.Cli.Tests;

/// <summary>One grammar for every command that runs a model: the model file first, or --model.</summary>
public class CommandGrammarTests
{
    static readonly RootCommand Root = CliApp.Build(new CliContext(new StringWriter(), new StringWriter(), colors: false));

    /// <summary>The commands that load a model: those with the shared model options (--arch …); compare, which loads
    /// two, takes both as its arguments (<see cref="Compare_takes_exactly_two_model_files"/>), and evolve a run's files.</summary>
    static IEnumerable<Command> ModelCommands() =>
        Root.Subcommands.Where(c => c.Options.Any(o => o.Name == "--arch") && c.Name is not ("compare" or "evolve"));

    [Fact]
    public void Compare_takes_exactly_two_model_files()
    {
        var command = Root.Subcommands.Single(c => c.Name == "compare");
        command.Arguments.Should().ContainSingle().Which.Name.Should().Be("CHECKPOINTS");
        command.Options.Select(o => o.Name).Should().NotContain("--model");
        Root.Parse(["compare", "a.pth", "b.pth", "--out", "x"]).Errors.Should().BeEmpty();
        Root.Parse(["compare", "a.pth", "--out", "x"]).Errors.Should().NotBeEmpty();
        Root.Parse(["compare", "a.pth", "b.pth", "c.pth", "--out", "x"]).Errors.Should().NotBeEmpty();
        Root.Subcommands.Single(c => c.Name == "evolve").Arguments.Should().ContainSingle().Which.Name.Should().Be("RUN");
    }

    public static TheoryData<string> ModelCommandNames() => new(ModelCommands().Select(c => c.Name));

    [Fact]
    public void The_commands_that_run_a_model_are_the_ones_users_know()
    {
        ModelCommands().Select(c => c.Name).Should().Contain(["layers", "predict", "unitmap", "dissect", "occlude", "ablate", "rank", "gallery", "visualize", "invariance", "correspondence", "graph", "attack"]);
    }

    [Theory]
    [MemberData(nameof(ModelCommandNames))]
    public void Takes_the_model_as_its_first_argument_or_as_model(string name)
    {
        var command = Root.Subcommands.Single(c => c.Name == name);
        command.Arguments.Should().NotBeEmpty().And.Subject.First().Name.Should().Be("MODEL");
        command.Arguments.Skip(1).Should().BeEmpty(because: "another positional argument would take the file given after --model");
        command.Options.Select(o => o.Name).Should().Contain("--model");

        var positional = Root.Parse([name, "net.pth"]);
        positional.GetValue<string?>("MODEL").Should().Be("net.pth");
        positional.Errors.Select(e => e.Message).Should().NotContain(m => m.Contains("MODEL") || m.Contains("net.pth"));

        var named = Root.Parse([name, "--model", "net.pth"]);
        named.GetValue<string?>("--model").Should().Be("net.pth");
        named.GetValue<string?>("MODEL").Should().BeNull();
        named.Errors.Select(e => e.Message).Should().NotContain(m => m.Contains("--model") || m.Contains("net.pth"));
    }

    [Theory]
    [MemberData(nameof(ModelCommandNames))]
    public void Without_a_model_says_how_to_give_one(string name)
    {
        var run = Cli.Run(name, "--json");
        run.Exit.Should().Be(ExitCodes.Usage, run.ToString());
        run.Err.Should().Contain($"unitscope {name} MODEL.pth");
    }

    [Fact]
    public void Two_different_models_are_refused()
    {
        var run = Cli.Run("layers", Cli.Repo("samples/smallcnn.pth"), "--model", "other.pth");
        run.Exit.Should().Be(ExitCodes.Usage, run.ToString());
        run.Err.Should().Contain("Two models given");
    }

    [Fact]
    public void Both_forms_list_the_same_layers()
    {
        string model = Cli.Repo("samples/smallcnn.pth");
        var positional = Cli.Run("layers", model, "--json");
        var named = Cli.Run("layers", "--model", model, "--json");
        positional.Exit.Should().Be(0, positional.ToString());
        named.Exit.Should().Be(0, named.ToString());
        named.Out.Should().Be(positional.Out);
        positional.Json.GetProperty("layers").GetArrayLength().Should().BeGreaterThan(3);
    }
}
