using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Gan;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/ganDissect</c>: a generator layer's units labelled by the concepts they draw. Checked before anything
/// starts; runs in the background with a lease on the model, on its device (handed over between batches), with work-done
/// progress and cancellation; cached.
/// </summary>
[Handles(Methods.GanDissect, Execution.Background)]
internal sealed class GanDissectHandler(Connection connection, DaemonServices services) : IRequestHandler<GanDissectParams, GanDissectResult>
{
    public async Task<GanDissectResult> HandleAsync(GanDissectParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        if (string.IsNullOrWhiteSpace(request.Layer)) throw RpcErrors.InvalidParams("Name the generator layer to dissect (layer).");
        var engine = services.Gan;
        engine.Check(model, request.Layer.Trim(), request.SegmenterPath);
        var settings = new GanDissectSettings(request.Layer.Trim(), request.SegmenterPath, request.Samples, request.Seed, request.Quantile,
            request.IouThreshold, request.BatchSize);
        services.Log.Info($"{connection.Name}: GAN dissection of {settings.Layer} of {request.ModelId}");
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest($"GAN dissection of {settings.Layer}", request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.GanDissection),
            run => run.OnDeviceAsync(progress => engine.Dissect(model, settings, progress, run.Token)),
            AnalysisResults.Summary, ct).ConfigureAwait(false);
    }
}
