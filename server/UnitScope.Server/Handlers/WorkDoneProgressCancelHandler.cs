using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>window/workDoneProgress/cancel</c>: the user cancelled the progress the daemon showed; the
/// request behind the token ends with RequestCancelled. Unknown tokens (work already done) are ignored.
/// </summary>
[Handles(Methods.WorkDoneProgressCancel, Execution.Inline)]
internal sealed class WorkDoneProgressCancelHandler(Connection connection) : INotificationHandler<WorkDoneProgressCancelParams>
{
    public Task HandleAsync(WorkDoneProgressCancelParams notification, CancellationToken ct)
    {
        if (!connection.ProgressTokens.Cancel(notification.Token))
            connection.Log.Debug($"{connection.Name}: workDoneProgress/cancel for a token with no running work: {notification.Token.GetRawText()}");
        return Task.CompletedTask;
    }
}
