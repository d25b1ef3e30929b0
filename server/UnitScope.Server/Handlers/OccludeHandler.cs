using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Images;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/occlude</c>: occlusion maps of one image (target-class probability, most probable
/// class, a unit's activity), sized as the model's description says (<c>resize</c>, <c>centerCrop</c>). Runs in the background with a lease on the model, on its device
/// (handed over between batches), with work-done progress and cancellation.
/// </summary>
[Handles(Methods.Occlude, Execution.Background)]
internal sealed class OccludeHandler(Connection connection, DaemonServices services) : IRequestHandler<OccludeParams, OccludeResult>
{
    public async Task<OccludeResult> HandleAsync(OccludeParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var engine = services.Analysis;
        var settings = AnalysisChecks.Occlusion(request, model, engine.ClassNames(model));
        // Sized as the model's description says: the image occluded, shown, and hashed into the cache key.
        var image = model.SizeImage(ImageInput.Read(services.Images, request.ImagePath, request.ImageBase64, model.DecodeHint));
        var title = string.IsNullOrWhiteSpace(request.ImagePath) ? "Occlusion" : $"Occlusion of {Path.GetFileName(request.ImagePath.Trim())}";
        services.Log.Info($"{connection.Name}: occlude {title} with {request.ModelId}: square {settings.Size}, stride {settings.Stride}");
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest(title, request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.Occlusion),
            run => run.OnDeviceAsync(progress => engine.Occlude(model, image, settings, progress, run.Token)),
            AnalysisResults.Summary, ct).ConfigureAwait(false);
    }
}
