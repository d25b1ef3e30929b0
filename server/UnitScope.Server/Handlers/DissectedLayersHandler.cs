using UnitScope.Protocol;
using UnitScope.Server.Dissection;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/dissectedLayers</c>: every cached dissection of the model's checkpoint, in the
/// model's layer order; <c>isDefault</c> marks the ones hovers show (the client's default dataset —
/// the probe set unless <c>initializationOptions.dataset</c> names another — with default options).
/// </summary>
[Handles(Methods.DissectedLayers, Execution.Reading)]
internal sealed class DissectedLayersHandler(DaemonServices services, Connection? connection = null) : IRequestHandler<DissectedLayersParams, DissectedLayersResult>
{
    public Task<DissectedLayersResult> HandleAsync(DissectedLayersParams request, CancellationToken ct)
    {
        var model = services.Models.Get(request.ModelId).Model;
        var engine = services.Dissection;
        var probeHash = engine.TryOpenDataset(connection?.DefaultDataset ?? DatasetSpec.Probe)?.ContentHash;
        var order = model.Layers.Select((l, i) => (l.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        var defaults = new Engine.Analysis.Dissection.DissectionOptions();
        var layers = engine.ListCached(model.CheckpointHash)
            .Where(d => order.ContainsKey(d.Layer))
            .OrderBy(d => order[d.Layer])
            .Select(d => DissectionMapping.Summary(d, d.DatasetHash == probeHash && DissectionCache.SameResult(d.Options, defaults)))
            .ToList();
        return Task.FromResult(new DissectedLayersResult(layers));
    }
}
