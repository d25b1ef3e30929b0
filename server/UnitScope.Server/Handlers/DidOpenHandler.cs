using UnitScope.Protocol;
using UnitScope.Server.Documents;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

[Handles(Methods.DidOpen, Execution.Inline)]
internal sealed class DidOpenHandler(DocumentStore documents) : INotificationHandler<DidOpenTextDocumentParams>
{
    public Task HandleAsync(DidOpenTextDocumentParams notification, CancellationToken ct)
    {
        documents.Open(notification.TextDocument);
        return Task.CompletedTask;
    }
}
