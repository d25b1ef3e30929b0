using UnitScope.Engine.Analysis;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Rpc;
using UnitScope.Server.Seeing;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/unitGallery</c>: a unit's strongest activations over a dataset with their patches and projections
/// (Zeiler &amp; Fergus figure 2). The dataset is opened off the device; the top-k pass and the projections run with a
/// lease on the model, on its device (handed over between batches), with work-done progress and cancellation. With
/// <c>cachedOnly</c> (a unit card) it answers only from a cached top-k pass, projecting the unit's winners, else null.
/// </summary>
[Handles(Methods.UnitGallery, Execution.Background)]
internal sealed class UnitGalleryHandler(Connection connection, DaemonServices services) : IRequestHandler<UnitGalleryParams, UnitGalleryResult?>
{
    private static readonly IReadOnlyList<(AnalysisPhase, int)> Plan =
        [(AnalysisPhase.Dataset, 10), (AnalysisPhase.TopActivations, 80), (AnalysisPhase.Projections, 10)];

    public async Task<UnitGalleryResult?> HandleAsync(UnitGalleryParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var layer = AnalysisChecks.Layer(model, request.Layer, spatial: true, "a unit gallery");
        var settings = new GallerySettings(layer.Name, AnalysisChecks.Unit(request.Unit, layer), K(request.K), Method(request.Method),
            AnalysisChecks.BatchSize(request.BatchSize));
        var spec = DatasetSpec.Parse(request.Dataset);
        var engine = services.Seeing;
        if (request.CachedOnly == true)
        {
            var opened = await Task.Run(() => engine.OpenImages(spec, null, ct), ct).ConfigureAwait(false);
            return await services.Devices.RunAsync(model.DeviceName, () => engine.CachedUnitGallery(model, opened, settings, ct), ct)
                .ConfigureAwait(false);
        }
        var title = $"Gallery of {layer.Name} unit {settings.Unit}";
        services.Log.Info($"{connection.Name}: unit gallery {layer.Name} unit {settings.Unit} with {request.ModelId} over {spec.Name}");
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest(title, request.WorkDoneToken),
            new AnalysisProgressText(Plan),
            async run =>
            {
                var images = await run.OffDeviceAsync((progress, token) => engine.OpenImages(spec, progress, token)).ConfigureAwait(false);
                return await run.OnDeviceAsync(progress => engine.UnitGallery(model, images, settings, progress, run.Token)).ConfigureAwait(false);
            },
            r => $"{r.Layer} unit {r.Unit}: top {r.Activations.Count} of {r.Images} images, {r.Method}", ct).ConfigureAwait(false);
    }

    /// <exception cref="StreamJsonRpc.LocalRpcException">InvalidParams outside 1–100.</exception>
    private static int K(int? k)
    {
        var value = k ?? 9;
        if (value is < 1 or > Engine.Analysis.Seeing.TopActivationOptions.MaxK)
            throw RpcErrors.InvalidParams($"k must be from 1 to {Engine.Analysis.Seeing.TopActivationOptions.MaxK}; got {value}.");
        return value;
    }

    /// <summary>The engine's method name, or null for "auto"/absent.</summary>
    /// <exception cref="StreamJsonRpc.LocalRpcException">InvalidParams for another name.</exception>
    private static string? Method(string? method) => method?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "deconvnet" => "Deconvnet",
        "guided" => "GuidedBackprop",
        "gradient" => "Gradient",
        _ => throw RpcErrors.InvalidParams($"method must be auto, deconvnet, guided or gradient; got '{method}'."),
    };
}
