using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Graph;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/explanatoryGraph</c>: the explanatory graph of the layers over one class of an evaluation set. Runs in the
/// background with a lease on the model; the set is opened off the device gate (building the probe set the first time),
/// the forward passes and the mining on it, with work-done progress and cancellation.
/// </summary>
[Handles(Methods.ExplanatoryGraph, Execution.Background)]
internal sealed class ExplanatoryGraphHandler(Connection connection, DaemonServices services) : IRequestHandler<ExplanatoryGraphParams, ExplanatoryGraphResult>
{
    public async Task<ExplanatoryGraphResult> HandleAsync(ExplanatoryGraphParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        if (request.Layers is not { Count: > 0 })
            throw RpcErrors.InvalidParams("layers is empty: name the conv layers to mine, from the top down.");
        var settings = GraphSettings.From(request);
        var spec = EvaluationSetSpec.Parse(request.EvaluationSet);
        return await AnalysisRun.RunAsync(connection, services, model,
            new AnalysisRequest($"Explanatory graph of {string.Join(", ", settings.Layers)}", request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.ExplanatoryGraph),
            async run =>
            {
                var set = await run.OffDeviceAsync((progress, token) => services.Graph.OpenSet(model, spec, progress, token)).ConfigureAwait(false);
                services.Log.Info($"{connection.Name}: explanatory graph of {string.Join(",", settings.Layers)} of {request.ModelId} on {spec.Name}" +
                    (settings.ClassName is null ? "" : $" class {settings.ClassName}"));
                return await run.OnDeviceAsync(progress => services.Graph.Mine(model, set, settings, progress, run.Token)).ConfigureAwait(false);
            },
            r => $"{r.Layers.Sum(l => l.Nodes.Count)} nodes over {r.Images} images", ct).ConfigureAwait(false);
    }
}
