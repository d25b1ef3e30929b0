using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Rpc;
using UnitScope.Server.Visualization;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/visualize</c>: activation maximisation of a unit, then the hypothesis test on the image. Runs in the
/// background with a lease on the model, on its device (handed over between steps), with work-done progress, each
/// round's image as a partial result, and cancellation. With <c>cachedOnly</c> it only reads the cache (null when the
/// optimisation was never run).
/// </summary>
[Handles(Methods.Visualize, Execution.Background)]
internal sealed class VisualizeHandler(Connection connection, DaemonServices services) : IRequestHandler<VisualizeParams, VisualizeResult?>
{
    public async Task<VisualizeResult?> HandleAsync(VisualizeParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var engine = services.Visualization;
        var settings = VisualizationChecks.Maximization(request, model);
        if (request.CachedOnly == true)
            return await services.Devices.RunAsync(model.DeviceName, () => engine.Visualize(model, settings, cachedOnly: true, null, null, ct), ct)
                .ConfigureAwait(false);
        var title = $"Visualize {settings.Layer} unit {settings.Unit}";
        services.Log.Info($"{connection.Name}: visualize {settings.Layer} unit {settings.Unit} of {request.ModelId}: seed {settings.Seed}, {settings.Rounds}×{settings.Steps} steps");
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest(title, request.WorkDoneToken, request.PartialResultToken),
            new AnalysisProgressText(AnalysisProgressText.Maximization),
            run => run.OnDeviceAsync(progress => engine.Visualize(model, settings, cachedOnly: false, preview => run.PostPartial(preview), progress, run.Token)),
            r => r is null ? "" : AnalysisResults.Summary(r), ct).ConfigureAwait(false);
    }
}
