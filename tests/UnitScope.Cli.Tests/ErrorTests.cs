namespace UnitScope.Cli.Tests;

/// <summary>Bad input: exit code 2 (user error) or 1 (usage), a clear message on stderr, no stack trace.</summary>
public class ErrorTests
{
    static readonly string Model = Cli.Repo("tests/fixtures/models/smallcnn_cifar.pth");
    static readonly string Image = Cli.Repo("tests/fixtures/images/shapes_32.png");

    static void Check(int exit, string[] args, params string[] messageParts)
    {
        var run = Cli.Run(args);
        run.Exit.Should().Be(exit, run.ToString());
        foreach (var part in messageParts)
            run.Err.Should().Contain(part, run.ToString());
        run.Err.Should().NotContain("   at ", "user errors show no stack trace");
        if (args.Contains("--json"))
            run.Out.Should().BeEmpty("nothing but JSON goes to stdout, and there is none on failure");
    }

    [Fact]
    public void Missing_model_file() =>
        Check(2, ["layers", "no/such/model.pth"], "no/such/model.pth");

    [Fact]
    public void Missing_image_file() =>
        Check(2, ["predict", Model, "--image", "no/such/image.png", "--json"], "no/such/image.png");

    [Fact]
    public void Undecodable_image() =>
        Check(2, ["predict", Model, "--image", Cli.Repo("tests/fixtures/images/not_an_image.png")], "not_an_image.png");

    [Fact]
    public void Unknown_layer() =>
        Check(2, ["unitmap", Model, "--image", Image, "--layer", "conv9", "--unit", "0", "--out", Path.Combine(Path.GetTempPath(), "never.png")], "conv9");

    [Theory]
    [InlineData(8)]
    [InlineData(-1)]
    public void Unit_out_of_range(int unit) =>
        Check(2, ["unitmap", Model, "--image", Image, "--layer", "conv1", "--unit", unit.ToString(), "--out", Path.Combine(Path.GetTempPath(), "never.png")],
            unit.ToString(), "8 units");

    [Theory]
    [InlineData("32y32")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("32x")]
    public void Bad_input_size(string size) =>
        Check(2, ["layers", Model, "--input-size", size, "--json"], "--input-size", size);

    [Fact]
    public void Wrong_mean_count() =>
        Check(2, ["predict", Model, "--image", Image, "--mean", "0.5,0.5", "--json"], "--mean");

    [Fact]
    public void Wrong_std_count_for_a_gray_model() =>
        Check(2, ["layers", Cli.Repo("tests/fixtures/models/smallcnn_mnist.pth"), "--std", "0.2,0.2,0.2"], "--std");

    [Theory]
    [InlineData("--mean", "125.3,123.0,113.9", "0.4914,0.4824,0.4467")]
    [InlineData("--std", "63.0,62.1,66.7", "0.2471,0.2435,0.2616")]
    public void Mean_or_std_on_the_0_to_255_scale_says_to_divide_by_255(string option, string values, string divided) =>
        Check(2, ["predict", Model, "--image", Image, option, values, "--json"], option, "0–255 scale", "divide by 255: " + divided);

    [Fact]
    public void Negative_mean_is_refused() =>
        Check(2, ["layers", Model, "--mean", "-0.5,0.5,0.5"], "--mean", "negative");

    [Fact]
    public void Mean_that_is_not_numbers() =>
        Check(2, ["layers", Model, "--mean", "0.5,abc,0.4"], "--mean", "abc");

    [Fact]
    public void Unknown_device() =>
        Check(2, ["layers", Model, "--device", "tpu"], "tpu");

    [Fact]
    public void Bad_colormap() =>
        Check(2, ["unitmap", Model, "--image", Image, "--layer", "conv1", "--unit", "0", "--colormap", "rainbow"], "rainbow");

    [Fact]
    public void Missing_required_option_is_a_usage_error() =>
        Check(1, ["unitmap", Model, "--image", Image, "--unit", "0"], "--layer");

    [Fact]
    public void Unknown_command_is_a_usage_error() =>
        Check(1, ["dissect-everything"], "dissect-everything");

    [Fact]
    public void A_token_on_the_command_line_is_refused_saying_what_replaced_it() =>
        Check(1, ["serve", "--tcp", "0", "--token", "abc"], "--token-file");

    [Fact]
    public void Tcp_options_without_tcp_are_a_usage_error()
    {
        Check(1, ["serve", "--root", "."], "--tcp");
        Check(1, ["serve", "--allow-code"], "--tcp");
    }
}
