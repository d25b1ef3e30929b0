using System.CommandLine;
using System.Net.Sockets;
using System.Security.Cryptography;
using UnitScope.Engine;
using UnitScope.Server;

namespace UnitScope.Cli.Commands;

/// <summary>
/// <c>unitscope serve [--tcp PORT --token T]</c>: the daemon the VS Code extension talks to, over
/// stdio (LSP framing) or, for a remote GPU machine, TCP with a shared token.
/// </summary>
static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        var tcp = new Option<int?>("--tcp") { Description = "Listen on this TCP port instead of stdio.", HelpName = "PORT" };
        var token = new Option<string?>("--token") { Description = "Token clients must present (with --tcp); default: a random one, printed on stderr.", HelpName = "T" };
        var command = new Command("serve", "Run the UnitScope daemon (JSON-RPC/LSP) on stdio, or on TCP with --tcp.") { tcp, token };
        command.SetAction((parse, ct) => cli.RunAsync(async () =>
        {
            int? port = parse.GetValue(tcp);
            string? secret = parse.GetValue(token);
            if (port is null)
            {
                if (secret is not null)
                    throw new CliUsageException("--token only applies with --tcp PORT.");
                // stdout carries the protocol and nothing else.
                await using var stdin = new AbandonableReadStream(Console.OpenStandardInput());
                await using var stdout = Console.OpenStandardOutput();
                // 0 after shutdown + exit, 1 when the client went away without shutdown (LSP's rule).
                return await DaemonHost.RunAsync(stdin, stdout, ct);
            }
            if (port is < 0 or > 65535)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"--tcp {port} is not a TCP port (0…65535).");
            if (string.IsNullOrWhiteSpace(secret))
            {
                secret = NewToken();
                cli.StdErr.WriteLine($"Token for this daemon (pass it to the client): {secret}");
            }
            try
            {
                await DaemonHost.RunTcpAsync(port.Value, secret, ct);
            }
            catch (SocketException e)
            {
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Cannot listen on TCP port {port}: {e.Message}", e);
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>32 random bytes as lowercase hex.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
