using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace UnitScope.Cli.Tests;

public class ServeCommandTests
{
    [Fact]
    public async Task Tcp_without_a_token_prints_a_generated_one_and_stops_on_cancel()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));
        var run = await Cli.RunAsync(["serve", "--tcp", "0"], cts.Token);
        run.Exit.Should().Be(0, run.ToString());
        run.Err.Should().MatchRegex("Token for this daemon.*: [0-9a-f]{64}");
        run.Out.Should().BeEmpty();
    }

    [Fact]
    public async Task The_token_comes_from_a_file_and_never_shows_on_the_command_line()
    {
        var dir = Directory.CreateTempSubdirectory("unitscope-serve-").FullName;
        var tokenFile = Path.Combine(dir, "token");
        await File.WriteAllTextAsync(tokenFile, "s3cret-from-file\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "unitscope.dll"), "serve", "--tcp", port.ToString(), "--token-file", tokenFile })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var listening = new TaskCompletionSource();
        process.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("listening") == true) listening.TrySetResult(); };
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            (await File.ReadAllTextAsync($"/proc/{process.Id}/cmdline")).Should().NotContain("s3cret");
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            Send(stream, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"initializationOptions":{"token":"s3cret-from-file"}}}""");
            using var answer = Receive(stream);
            answer.RootElement.TryGetProperty("result", out _).Should().BeTrue(answer.RootElement.ToString());
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Port_in_use_is_a_user_error()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var run = await Cli.RunAsync(["serve", "--tcp", port.ToString()], cts.Token);
            run.Exit.Should().Be(2, run.ToString());
            run.Err.Should().Contain(port.ToString());
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Stdio_speaks_lsp_and_nothing_else_on_stdout()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Cli.RepoRoot,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "unitscope.dll"));
        start.ArgumentList.Add("serve");
        using var process = Process.Start(start)!;
        // A hung daemon must fail the test, not block the blocking reads below forever.
        using var guard = new Timer(_ => { try { process.Kill(); } catch (InvalidOperationException) { } }, null, 60_000, Timeout.Infinite);
        var stderr = process.StandardError.ReadToEndAsync();
        var input = process.StandardInput.BaseStream;
        var output = process.StandardOutput.BaseStream;

        Send(input, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}""");
        using (var initialized = Receive(output))
            initialized.RootElement.GetProperty("id").GetInt32().Should().Be(1);
        Send(input, """{"jsonrpc":"2.0","method":"initialized","params":{}}""");
        Send(input, """{"jsonrpc":"2.0","id":2,"method":"shutdown"}""");
        using (var shutdown = Receive(output))
            shutdown.RootElement.GetProperty("id").GetInt32().Should().Be(2);
        Send(input, """{"jsonrpc":"2.0","method":"exit"}""");

        process.WaitForExit(120_000).Should().BeTrue("exit ends the daemon");
        process.ExitCode.Should().Be(0, await stderr);
        output.ReadByte().Should().Be(-1, "nothing follows the protocol messages on stdout");
    }

    [Fact]
    public async Task Sigterm_stops_the_tcp_daemon_cleanly()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Cli.RepoRoot };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "unitscope.dll"), "serve", "--tcp", "0" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var listening = new TaskCompletionSource();
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data?.Contains("listening") == true) listening.TrySetResult();
        };
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(180));
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) kill.WaitForExit();
            process.WaitForExit(60_000).Should().BeTrue("SIGTERM cancels the daemon");
            process.ExitCode.Should().Be(0, stderr.ToString());
            (await stdout).Should().BeEmpty();
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    static void Send(Stream stream, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        stream.Write(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
        stream.Write(body);
        stream.Flush();
    }

    /// <summary>Reads one Content-Length-framed message; fails on anything that is not one.</summary>
    static JsonDocument Receive(Stream stream)
    {
        int length = -1;
        while (true)
        {
            var line = new StringBuilder();
            int b;
            while ((b = stream.ReadByte()) != '\n')
            {
                b.Should().NotBe(-1, "the daemon must answer");
                line.Append((char)b);
            }
            var header = line.ToString().TrimEnd('\r');
            if (header.Length == 0) break;
            var parts = header.Split(':', 2);
            parts.Should().HaveCount(2, $"'{header}' must be an LSP header");
            if (parts[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                length = int.Parse(parts[1].Trim());
        }
        length.Should().BePositive();
        var body = new byte[length];
        stream.ReadExactly(body);
        return JsonDocument.Parse(body);
    }
}
