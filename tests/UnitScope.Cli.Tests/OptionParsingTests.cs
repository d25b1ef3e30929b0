using UnitScope.Engine;

namespace UnitScope.Cli.Tests;

public class OptionParsingTests
{
    [Theory]
    [InlineData("224", 224, 224)]
    [InlineData("32x32", 32, 32)]
    [InlineData("32X28", 32, 28)]
    [InlineData(" 64 ", 64, 64)]
    public void Input_size_is_N_or_HEIGHTxWIDTH(string text, int height, int width) =>
        ModelOptionSet.ParseInputSize(text).Should().Be(((int?)height, (int?)width));

    [Fact]
    public void No_input_size_means_the_architectures() =>
        ModelOptionSet.ParseInputSize(null).Should().Be(((int?)null, (int?)null));

    [Theory]
    [InlineData("0.485,0.456,0.406", new[] { 0.485f, 0.456f, 0.406f })]
    [InlineData(" 0.5 ", new[] { 0.5f })]
    [InlineData("1e-1, 2", new[] { 0.1f, 2f })]
    public void Mean_and_std_are_comma_separated(string text, float[] expected) =>
        ModelOptionSet.ParseFloats("--mean", text).Should().Equal(expected);

    [Theory]
    [InlineData("")]
    [InlineData("0.5,,0.4")]
    [InlineData("NaN")]
    public void Bad_numbers_name_the_option(string text) =>
        Assert.Throws<UnitScopeException>(() => ModelOptionSet.ParseFloats("--std", text)).Message.Should().Contain("--std");

    [Fact]
    public void Generated_tokens_are_long_and_fresh()
    {
        var a = Commands.ServeCommand.NewToken();
        a.Should().HaveLength(64).And.MatchRegex("^[0-9a-f]+$");
        Commands.ServeCommand.NewToken().Should().NotBe(a);
    }
}
