using System.Diagnostics;
using System.Text.Json;

namespace UnitScope.Cli.Tests;

/// <summary>The real executable, as a child process: exit codes and stdout purity end to end.</summary>
public class ProcessTests
{
    static (int Exit, string Out, string Err) RunProcess(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "unitscope.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Cli.RepoRoot };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit(300_000).Should().BeTrue("the CLI must finish");
        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    [Fact]
    public void Layers_json_from_the_executable_is_pure_json()
    {
        var (exit, stdout, stderr) = RunProcess("layers", "tests/fixtures/models/smallcnn_cifar.pth", "--json", "--device", "cpu");
        exit.Should().Be(0, stderr);
        JsonDocument.Parse(stdout).RootElement.GetProperty("layers").GetArrayLength().Should().BeGreaterThan(5);
    }

    [Theory]
    [InlineData("tests/fixtures/models/smallcnn_cifar.pth", "32")]
    [InlineData("samples/smallcnn.pth", "32")]
    [InlineData("tests/fixtures/odd_channels/smallcnn_odd.pth", "32")] // runs without oneDNN here: NNPACK was asked for every convolution
    [InlineData("tests/fixtures/odd_channels/oddnet.onnx", "36")]
    public void Libtorch_does_not_fill_stderr_with_nnpack_failures(string model, string size)
    {
        var (exit, stdout, stderr) = RunProcess("layers", model, "--input-size", size, "--device", "cpu");
        exit.Should().Be(0, stderr);
        stdout.Should().Contain("conv");
        stderr.Should().NotContain("NNPACK", "TorchRuntime switches libtorch's NNPACK off");
    }

    [Fact]
    public void User_error_exits_2_with_a_one_line_message()
    {
        var (exit, stdout, stderr) = RunProcess("layers", "missing.pth");
        exit.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Should().Contain("missing.pth").And.NotContain("   at ");
    }
}
