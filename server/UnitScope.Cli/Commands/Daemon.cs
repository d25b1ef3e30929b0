using UnitScope.Engine;

namespace UnitScope.Cli.Commands;

/// <summary>The seam between <c>serve</c> and UnitScope.Server's DaemonHost.</summary>
static class Daemon
{
    public static Task RunStdioAsync(Stream stdin, Stream stdout, CancellationToken ct) =>
        throw NotYet();

    public static Task RunTcpAsync(int port, string token, CancellationToken ct) =>
        throw NotYet();

    static UnitScopeException NotYet() =>
        new(EngineErrorKind.InvalidArgument, "This build has no daemon yet (UnitScope.Server.DaemonHost is not in it).");
}
