using UnitScope.Protocol;
using UnitScope.Server.Dissection;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/dissection</c>: a layer's cached dissection for the dataset and options, or null.
/// Never computes, and never builds the probe set (null until it exists).
/// </summary>
[Handles(Methods.Dissection, Execution.Reading)]
internal sealed class DissectionHandler(DaemonServices services) : IRequestHandler<DissectionParams, LayerDissection?>
{
    public Task<LayerDissection?> HandleAsync(DissectionParams request, CancellationToken ct)
    {
        var options = DissectionMapping.Options(request.Options);
        var spec = DatasetSpec.Parse(request.Dataset);
        var model = services.Models.Get(request.ModelId).Model;
        if (string.IsNullOrWhiteSpace(request.Layer)) throw RpcErrors.InvalidParams("layer is empty.");
        var engine = services.Dissection;
        if (engine.TryOpenDataset(spec) is not { } dataset) return Task.FromResult<LayerDissection?>(null);
        var found = DissectionCache.Find(engine, model.CheckpointHash, request.Layer.Trim(), dataset.ContentHash,
            DissectionMapping.ForDataset(options, dataset.Count));
        return Task.FromResult(found is null ? null : DissectionMapping.ToProtocol(found, spec.Name, dataset.Categories, engine.CategoryColor));
    }
}
