using UnitScope.Protocol;
using UnitScope.Server.Dissection;
using UnitScope.Server.Documents;
using UnitScope.Server.Models;
using UnitScope.Server.References;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>textDocument/hover</c>: the layer reference under the cursor (Python or C#), resolved against
/// the active model's layer names, with the layer's cached dissection (probe set, default options)
/// or a link to dissect it; null when there is no active model or nothing resolves.
/// </summary>
[Handles(Methods.Hover, Execution.Reading)]
internal sealed class HoverHandler(DocumentStore documents, ModelRegistry models, IDissectionEngine dissection, DaemonLog log)
    : IRequestHandler<HoverParams, Hover?>
{
    public Task<Hover?> HandleAsync(HoverParams request, CancellationToken ct)
    {
        var document = documents.Get(request.TextDocument.Uri);
        var active = models.Active;
        if (document is null || active is null) return Task.FromResult<Hover?>(null);

        var language = SourceLanguages.Detect(document.LanguageId, document.Uri);
        var names = active.Info.Layers.Select(l => l.Name).ToList();
        var resolution = LayerReferenceResolver.Resolve(document.Text, request.Position, names, language);
        if (resolution is null) return Task.FromResult<Hover?>(null);

        var markdown = HoverContent.Markdown(resolution, active.Info, layer => DefaultDissection(active.Model.CheckpointHash, layer));
        return Task.FromResult<Hover?>(new Hover(new MarkupContent(MarkupKind.Markdown, markdown), resolution.Range));
    }

    /// <summary>A hover must not fail because the result cache cannot be read: it then shows no dissection.</summary>
    private Engine.Analysis.Dissection.LayerDissection? DefaultDissection(string checkpointHash, string layer)
    {
        try
        {
            return DissectionCache.FindDefault(dissection, checkpointHash, layer);
        }
        catch (Exception e)
        {
            log.Warn($"hover: reading the dissection of {layer} failed: {e.Message}");
            return null;
        }
    }
}
