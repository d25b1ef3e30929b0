using UnitScope.Protocol;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

[Handles(Methods.ListModels, Execution.Reading)]
internal sealed class ListModelsHandler(ModelRegistry models) : IRequestHandler<ListModelsParams, ListModelsResult>
{
    public Task<ListModelsResult> HandleAsync(ListModelsParams request, CancellationToken ct) =>
        Task.FromResult(new ListModelsResult(models.All.Select(m => m.Info).ToList(), models.Active?.Id));
}
