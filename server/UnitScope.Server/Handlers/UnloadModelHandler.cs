using UnitScope.Protocol;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary><c>unitscope/unloadModel</c>: frees one model (after every earlier request using it is done).</summary>
[Handles(Methods.UnloadModel, Execution.Mutating)]
internal sealed class UnloadModelHandler(ModelRegistry models) : IRequestHandler<UnloadModelParams, UnloadModelResult>
{
    public Task<UnloadModelResult> HandleAsync(UnloadModelParams request, CancellationToken ct)
    {
        var model = models.Get(request.ModelId);
        models.Remove(model.Id);
        return Task.FromResult(new UnloadModelResult());
    }
}
