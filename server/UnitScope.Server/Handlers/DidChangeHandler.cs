using UnitScope.Protocol;
using UnitScope.Server.Documents;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>Full sync: each change carries the whole text (a ranged change is applied as an edit).</summary>
[Handles(Methods.DidChange, Execution.Inline)]
internal sealed class DidChangeHandler(DocumentStore documents, DaemonLog log) : INotificationHandler<DidChangeTextDocumentParams>
{
    public Task HandleAsync(DidChangeTextDocumentParams notification, CancellationToken ct)
    {
        if (!documents.Change(notification.TextDocument, notification.ContentChanges))
            log.Warn($"didChange for a document that is not open: {notification.TextDocument.Uri}");
        return Task.CompletedTask;
    }
}
