using UnitScope.Protocol;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

[Handles(Methods.ListLayers, Execution.Reading)]
internal sealed class ListLayersHandler(ModelRegistry models) : IRequestHandler<ListLayersParams, ListLayersResult>
{
    public Task<ListLayersResult> HandleAsync(ListLayersParams request, CancellationToken ct) =>
        Task.FromResult(new ListLayersResult(models.Get(request.ModelId).Info.Layers));
}
