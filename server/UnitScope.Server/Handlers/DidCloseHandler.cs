using UnitScope.Protocol;
using UnitScope.Server.Documents;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

[Handles(Methods.DidClose, Execution.Inline)]
internal sealed class DidCloseHandler(DocumentStore documents) : INotificationHandler<DidCloseTextDocumentParams>
{
    public Task HandleAsync(DidCloseTextDocumentParams notification, CancellationToken ct)
    {
        documents.Close(notification.TextDocument.Uri);
        return Task.CompletedTask;
    }
}
