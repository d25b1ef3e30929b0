using System.CommandLine;
using System.Net.Sockets;
using System.Security.Cryptography;
using UnitScope.Engine;
using UnitScope.Server;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope serve [--tcp PORT [--token-file FILE] [--root DIR]… [--allow-code]]</c>: the daemon the VS Code
/// extension talks to, over stdio (LSP framing) or, for a remote GPU machine, TCP on 127.0.0.1 with a token.
/// The token never goes on the command line: every local user can read a process's arguments
/// (<c>/proc/PID/cmdline</c>). It comes from a file, from <c>UNITSCOPE_TOKEN</c>, or is made up and printed.
/// </summary>
static class ServeCommand
{
    /// <summary>The environment variable a TCP daemon takes its token from (when there is no --token-file).</summary>
    public const string TokenVariable = "UNITSCOPE_TOKEN";

    public static Command Create(CliContext cli)
    {
        var tcp = new Option<int?>("--tcp") { Description = "Listen on 127.0.0.1:PORT instead of stdio.", HelpName = "PORT" };
        var tokenFile = new Option<string?>("--token-file")
        {
            Description = $"With --tcp: read the token clients must present from this file (else ${TokenVariable}, else a random one, printed on stderr).",
            HelpName = "FILE",
        };
        var roots = new Option<string[]>("--root")
        {
            Description = "With --tcp: a folder clients may name files in (repeatable); default: the current folder.",
            HelpName = "DIR",
            AllowMultipleArgumentsPerToken = false,
        };
        var allowCode = new Option<bool>("--allow-code")
        {
            Description = "With --tcp: let clients with the token load C# models from source or an assembly (their code runs here).",
        };
        // Kept only to say what replaced it.
        var token = new Option<string?>("--token") { Hidden = true };
        var command = new Command("serve", "Run the UnitScope daemon (JSON-RPC/LSP) on stdio, or on TCP with --tcp.") { tcp, tokenFile, roots, allowCode, token };
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            if (parse.GetValue(token) is not null)
                throw new CliUsageException(
                    "--token is gone: every user of this machine can read a process's command line (/proc/PID/cmdline). " +
                    $"Put the token in a file only you can read and pass --token-file FILE, or set {TokenVariable}.");
            int? port = parse.GetValue(tcp);
            if (port is null)
            {
                foreach (var (name, given) in new[] { ("--token-file", parse.GetValue(tokenFile) is not null), ("--root", parse.GetValue(roots) is { Length: > 0 }), ("--allow-code", parse.GetValue(allowCode)) })
                    if (given)
                        throw new CliUsageException($"{name} only applies with --tcp PORT.");
                // stdout carries the protocol and nothing else.
                await using var stdin = new AbandonableReadStream(Console.OpenStandardInput());
                await using var stdout = Console.OpenStandardOutput();
                // 0 after shutdown + exit, 1 when the client went away without shutdown (LSP's rule).
                return await DaemonHost.RunAsync(stdin, stdout, ct);
            }
            if (port is < 0 or > 65535)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"--tcp {port} is not a TCP port (0…65535).");
            var access = new RemoteAccess(ReadToken(cli, parse.GetValue(tokenFile)))
            {
                Roots = parse.GetValue(roots) is { Length: > 0 } folders ? folders : [Environment.CurrentDirectory],
                AllowCode = parse.GetValue(allowCode),
            };
            try
            {
                await DaemonHost.RunTcpAsync(port.Value, access, ct);
            }
            catch (SocketException e)
            {
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Cannot listen on TCP port {port}: {e.Message}", e);
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>The file's first line, else UNITSCOPE_TOKEN, else a new token printed on stderr (for its user only).</summary>
    static string ReadToken(CliContext cli, string? file)
    {
        if (file is not null)
        {
            string text = UserFile.Read(Path.GetFullPath(file), File.ReadAllText, $"Token file not found: {file}", reason => $"Cannot read token file {file}: {reason}");
            string first = text.Split('\n', 2)[0].Trim();
            if (first.Length == 0)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Token file {file} is empty.");
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0)
                cli.Info($"Warning: other users can read the token file {file} (chmod 600 it).");
            return first;
        }
        if (Environment.GetEnvironmentVariable(TokenVariable) is { } fromEnvironment && fromEnvironment.Trim().Length > 0)
            return fromEnvironment.Trim();
        string secret = NewToken();
        cli.StdErr.WriteLine($"Token for this daemon (pass it to the client): {secret}");
        return secret;
    }

    /// <summary>32 random bytes as lowercase hex.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
