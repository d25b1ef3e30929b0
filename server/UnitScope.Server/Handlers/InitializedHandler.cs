using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>LSP <c>initialized</c>: nothing to do but note it.</summary>
[Handles(Methods.Initialized, Execution.Inline)]
internal sealed class InitializedHandler(Connection connection) : INotificationHandler<InitializedParams>
{
    public Task HandleAsync(InitializedParams notification, CancellationToken ct)
    {
        connection.Log.Debug($"{connection.Name}: client initialized");
        return Task.CompletedTask;
    }
}
