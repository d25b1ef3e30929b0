using UnitScope.Protocol;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using UnitScope.Server.References;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>textDocument/hover</c>: the layer reference under the cursor (Python or C#), resolved against
/// the active model's layer names, with the layer's cached dissection (this client's default
/// dataset, default options) and its top units' top images, or a link to dissect the layer, and how the layer moved in
/// the last checkpoint comparison that involved this checkpoint; null
/// when there is no active model or nothing resolves.
/// </summary>
[Handles(Methods.Hover, Execution.Reading)]
internal sealed class HoverHandler(Connection connection, DaemonServices services) : IRequestHandler<HoverParams, Hover?>
{
    /// <summary>Shared by every connection: the strips depend only on the model and the result.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<DaemonServices, HoverStrips> Strips = new();

    public async Task<Hover?> HandleAsync(HoverParams request, CancellationToken ct)
    {
        var document = connection.Documents.Get(request.TextDocument.Uri);
        var active = services.Models.Active;
        if (document is null || active is null) return null;

        var language = SourceLanguages.Detect(document.LanguageId, document.Uri);
        var resolution = LayerReferenceResolver.Resolve(document.Text, request.Position, active.Info.Layers, language);
        if (resolution is null) return null;

        var spec = connection.DefaultDataset;
        var hash = active.Model.CheckpointHash;
        IReadOnlyDictionary<int, string>? strips = null;
        if (resolution.Layers.Count == 1 && DefaultDissection(services, spec, hash, resolution.Layers[0]) is { } d
            && services.Dissection.TryOpenDataset(spec) is { } dataset)
        {
            strips = await Strips.GetValue(services, s => new HoverStrips(s))
                .GetAsync(active.Id, dataset, d, HoverContent.TopLabelledUnits(d), ct).ConfigureAwait(false);
        }
        if (resolution.Layers.Count == 1 && active.Model.KnownReceptiveField(resolution.Layers[0]) is null)
            BackgroundReceptiveFields.Start(services, active); // shown by a later hover
        var label = spec.IsProbe ? DatasetSpec.ProbeName : Path.GetFileName(spec.Folder!.TrimEnd('/', '\\'));
        var markdown = HoverContent.Markdown(resolution, active.Info, layer => DefaultDissection(services, spec, hash, layer), strips, label,
            layer => services.RunningDissections.IsRunning(hash, spec, layer), active.Model.KnownReceptiveField,
            active.Model.FirstLayerFiltersPng, layer => services.LastComparison.HoverLine(hash, layer));
        return new Hover(new MarkupContent(MarkupKind.Markdown, markdown), resolution.Range);
    }

    /// <summary>A hover or lens must not fail because the result cache cannot be read: it then shows no dissection.</summary>
    public static Engine.Analysis.Dissection.LayerDissection? DefaultDissection(DaemonServices services, DatasetSpec spec, string checkpointHash, string layer)
    {
        try
        {
            return DissectionCache.FindDefault(services.Dissection, checkpointHash, layer, spec);
        }
        catch (Exception e)
        {
            services.Log.Warn($"reading the dissection of {layer} failed: {e.Message}");
            return null;
        }
    }
}
