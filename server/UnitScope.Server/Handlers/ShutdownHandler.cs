using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// LSP <c>shutdown</c>: runs after every earlier request is done (mutating), then refuses all but
/// <c>exit</c>. Models stay loaded for other connections; a stdio daemon drops them on exit.
/// </summary>
[Handles(Methods.Shutdown, Execution.Mutating)]
internal sealed class ShutdownHandler(Connection connection) : IRequestHandler<NoParams, object?>
{
    public Task<object?> HandleAsync(NoParams request, CancellationToken ct)
    {
        connection.MarkShutDown();
        connection.Log.Info($"{connection.Name}: shutdown requested");
        return Task.FromResult<object?>(null);
    }
}
