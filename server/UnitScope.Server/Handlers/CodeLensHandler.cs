using UnitScope.Protocol;
using UnitScope.Server.Dissection;
using UnitScope.Server.References;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>textDocument/codeLens</c>: a row of lenses above each layer definition in a Python or C#
/// document (<see cref="LayerReferenceResolver.Definitions"/>) that the active model has, with its
/// cached dissection on this client's default dataset (<see cref="CodeLensContent"/>); empty when
/// no model is active; a layer being dissected says so. The client is asked to refresh them when
/// models or results change, and when a dissection starts (<see cref="Connection.RefreshCodeLenses"/>).
/// </summary>
[Handles(Methods.CodeLens, Execution.Reading)]
internal sealed class CodeLensHandler(Connection connection, DaemonServices services) : IRequestHandler<CodeLensParams, IReadOnlyList<CodeLens>?>
{
    public Task<IReadOnlyList<CodeLens>?> HandleAsync(CodeLensParams request, CancellationToken ct)
    {
        var document = connection.Documents.Get(request.TextDocument.Uri);
        var active = services.Models.Active;
        if (document is null || active is null) return Task.FromResult<IReadOnlyList<CodeLens>?>([]);

        var language = SourceLanguages.Detect(document.LanguageId, document.Uri);
        var definitions = LayerReferenceResolver.Definitions(document.Text, active.Info.Layers, language);
        var perLine = definitions.GroupBy(d => d.Range.Start.Line).ToDictionary(g => g.Key, g => g.Count());
        var dissections = new Dictionary<string, Engine.Analysis.Dissection.LayerDissection?>(StringComparer.Ordinal);
        Engine.Analysis.Dissection.LayerDissection? DissectionOf(string layer)
        {
            if (!dissections.TryGetValue(layer, out var d))
                dissections[layer] = d = HoverHandler.DefaultDissection(services, connection.DefaultDataset, active.Model.CheckpointHash, layer);
            return d;
        }

        var lenses = new List<CodeLens>();
        foreach (var definition in definitions)
        {
            ct.ThrowIfCancellationRequested();
            var prefix = perLine[definition.Range.Start.Line] > 1 ? $"{string.Join(", ", definition.Resolution.Layers.Take(1))}: " : "";
            lenses.AddRange(CodeLensContent.Lenses(definition, active.Info, DissectionOf, prefix,
                layer => services.RunningDissections.IsRunning(active.Model.CheckpointHash, connection.DefaultDataset, layer)));
        }
        return Task.FromResult<IReadOnlyList<CodeLens>?>(lenses);
    }
}
