using UnitScope.Engine.Imaging;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Images;
using UnitScope.Server.Rpc;
using UnitScope.Server.Visualization;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/invariance</c>: feature distances and the true class's probability as images (each sized as the model's
/// description says) are translated, rotated and scaled. Checked before anything starts; runs in the background with a
/// lease on the model, on its device (handed over between batches), with work-done progress and cancellation.
/// </summary>
[Handles(Methods.Invariance, Execution.Background)]
internal sealed class InvarianceHandler(Connection connection, DaemonServices services) : IRequestHandler<InvarianceParams, InvarianceResult>
{
    public async Task<InvarianceResult> HandleAsync(InvarianceParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var (images, names) = Images(request, model);
        if (request.TrueClass is { } c) AnalysisChecks.Class(c, services.Analysis.ClassNames(model), "trueClass");
        var settings = new InvarianceSettings(request.Layers, request.Translations, request.Axis ?? TranslationAxis.Vertical, request.Rotations,
            request.Scales, request.TrueClass, AnalysisChecks.BatchSize(request.BatchSize));
        var engine = services.Visualization;
        engine.CheckInvariance(model, images, settings);
        services.Log.Info($"{connection.Name}: invariance of {images.Count} image(s) with {request.ModelId}");
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest("Invariance", request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.Invariance),
            run => run.OnDeviceAsync(progress => engine.Invariance(model, images, names, settings, progress, run.Token)),
            AnalysisResults.Summary, ct).ConfigureAwait(false);
    }

    /// <summary>The images by path, then the base64 ones, each sized for the model, with their names.</summary>
    private (IReadOnlyList<RgbImage>, IReadOnlyList<string>) Images(InvarianceParams request, Models.IModel model)
    {
        var images = new List<RgbImage>();
        var names = new List<string>();
        foreach (var path in request.ImagePaths ?? [])
        {
            images.Add(model.SizeImage(ImageInput.Read(services.Images, path, null)));
            names.Add(Path.GetFileName(path.Trim()));
        }
        foreach (var base64 in request.ImagesBase64 ?? [])
        {
            images.Add(model.SizeImage(ImageInput.Read(services.Images, null, base64)));
            names.Add($"image {images.Count}");
        }
        if (images.Count == 0) throw RpcErrors.InvalidParams("Give at least one image: imagePaths or imagesBase64.");
        return (images, names);
    }
}
