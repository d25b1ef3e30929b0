using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Gan;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/ganEdit</c>: a concept's units of a generator layer ablated (against random units) and, with a region,
/// forced on there, measured by the segmenter. Checked before anything starts; background, with progress and cancellation.
/// </summary>
[Handles(Methods.GanEdit, Execution.Background)]
internal sealed class GanEditHandler(Connection connection, DaemonServices services) : IRequestHandler<GanEditParams, GanEditResult>
{
    public async Task<GanEditResult> HandleAsync(GanEditParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        if (string.IsNullOrWhiteSpace(request.Layer)) throw RpcErrors.InvalidParams("Name the generator layer to edit (layer).");
        if (string.IsNullOrWhiteSpace(request.Concept)) throw RpcErrors.InvalidParams("Name the concept whose units are edited (concept).");
        var engine = services.Gan;
        engine.Check(model, request.Layer.Trim(), request.SegmenterPath);
        var settings = new GanEditSettings(request.Layer.Trim(), request.Concept.Trim(), request.Units, request.Samples, request.Seed, request.RandomDraws,
            request.Region, request.Examples, request.SegmenterPath, request.DissectSamples);
        services.Log.Info($"{connection.Name}: GAN edit of {settings.Concept} in {settings.Layer} of {request.ModelId}");
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest($"GAN edit: {settings.Concept}", request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.GanEdit),
            run => run.OnDeviceAsync(progress => engine.Edit(model, settings, progress, run.Token)),
            AnalysisResults.Summary, ct).ConfigureAwait(false);
    }
}
