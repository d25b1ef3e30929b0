using System.Reflection;
using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// LSP <c>initialize</c>: announces hover, code lenses and full document sync. On a TCP connection the client
/// must send the daemon's token in <c>initializationOptions.token</c>, or is refused and closed.
/// </summary>
[Handles(Methods.Initialize, Execution.Inline)]
internal sealed class InitializeHandler(Connection connection) : IRequestHandler<InitializeParams, InitializeResult>
{
    public static readonly string Version =
        typeof(InitializeHandler).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public Task<InitializeResult> HandleAsync(InitializeParams request, CancellationToken ct)
    {
        if (!connection.TokenMatches(request.InitializationOptions?.Token))
        {
            connection.CloseAfterResponse();
            connection.Log.Warn($"{connection.Name}: refused: wrong or missing token");
            throw RpcErrors.Application(ErrorKind.Unauthorized,
                "Unauthorized: initialize must carry this server's token in initializationOptions.token; closing the connection.");
        }
        connection.MarkInitialized(request);
        connection.Log.Info($"{connection.Name}: initialized by {request.ClientInfo?.Name ?? "a client"} {request.ClientInfo?.Version}".TrimEnd());
        return Task.FromResult(new InitializeResult(
            new ServerCapabilities(HoverProvider: true, TextDocumentSync: TextDocumentSyncKind.Full, CodeLensProvider: new CodeLensOptions()),
            new ServerInfo("unitscope", Version)));
    }
}
