using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Graph;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/graphNode</c>: one node of a cached explanatory graph with the image patches where it fires most
/// strongly. Mines nothing: a graph not in the cache is an InvalidArgument error saying to run
/// <c>unitscope/explanatoryGraph</c> first. Reads a few images, off the device.
/// </summary>
[Handles(Methods.GraphNode, Execution.Background)]
internal sealed class GraphNodeHandler(DaemonServices services) : IRequestHandler<GraphNodeParams, GraphNodeResult>
{
    public async Task<GraphNodeResult> HandleAsync(GraphNodeParams request, CancellationToken ct)
    {
        if (request.Graph is null) throw RpcErrors.InvalidParams("graph is missing: give the explanatoryGraph parameters of the graph.");
        using var lease = services.Models.Lease(request.Graph.ModelId);
        var model = lease.Model;
        var settings = GraphSettings.From(request.Graph);
        var spec = EvaluationSetSpec.Parse(request.Graph.EvaluationSet);
        return await Task.Run(() =>
        {
            var set = services.Graph.OpenSet(model, spec, null, ct);
            return services.Graph.Node(model, set, settings, request.NodeId)
                ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    "That graph is not in the cache: run unitscope/explanatoryGraph with the same parameters first.");
        }, ct).ConfigureAwait(false);
    }
}
