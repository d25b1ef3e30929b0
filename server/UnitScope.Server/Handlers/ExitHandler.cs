using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>LSP <c>exit</c>: ends the connection; exit code 0 after <c>shutdown</c>, 1 otherwise.</summary>
[Handles(Methods.Exit, Execution.Inline)]
internal sealed class ExitHandler(Connection connection) : INotificationHandler<NoParams>
{
    public Task HandleAsync(NoParams notification, CancellationToken ct)
    {
        connection.Exit();
        return Task.CompletedTask;
    }
}
