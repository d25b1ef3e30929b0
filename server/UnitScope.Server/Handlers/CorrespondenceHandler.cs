using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Rpc;
using UnitScope.Server.Visualization;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/correspondence</c>: the consistency Δ of feature changes when the same part is hidden in several images
/// (boxes from a JSON file), against random boxes. The file is read and every box checked before anything starts; runs
/// in the background with a lease on the model, on its device (handed over between batches), with work-done progress
/// and cancellation.
/// </summary>
[Handles(Methods.Correspondence, Execution.Background)]
internal sealed class CorrespondenceHandler(Connection connection, DaemonServices services) : IRequestHandler<CorrespondenceParams, CorrespondenceResult>
{
    public async Task<CorrespondenceResult> HandleAsync(CorrespondenceParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        if (string.IsNullOrWhiteSpace(request.BoxesPath)) throw RpcErrors.InvalidParams("boxesPath is empty: give the JSON file of images and part boxes.");
        if (request.Fill is { } fill && (fill.Count is not (1 or 3) || fill.Any(v => !(v >= 0 && v <= 1))))
            throw RpcErrors.InvalidParams("fill needs one value or three, each in [0, 1] (before normalisation).");
        var settings = new CorrespondenceSettings(request.Layers, request.RandomDraws ?? new Engine.Analysis.Correspondence.CorrespondenceOptions().RandomDraws,
            request.Seed ?? 0, request.Fill, AnalysisChecks.BatchSize(request.BatchSize));
        var engine = services.Visualization;
        var path = Path.GetFullPath(request.BoxesPath.Trim());
        var set = await Task.Run(() => engine.OpenCorrespondence(model, path, settings), ct).ConfigureAwait(false);
        services.Log.Info($"{connection.Name}: correspondence of {set.ImageCount} images ({path}) with {request.ModelId}");
        return await AnalysisRun.RunAsync(connection, services, model,
            new AnalysisRequest($"Correspondence of {Path.GetFileName(path)}", request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.Correspondence),
            run => run.OnDeviceAsync(progress => engine.Correspondence(model, set, settings, progress, run.Token)),
            AnalysisResults.Summary, ct).ConfigureAwait(false);
    }
}
