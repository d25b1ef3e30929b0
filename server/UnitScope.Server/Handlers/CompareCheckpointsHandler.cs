using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Evolution;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/compareCheckpoints</c>: two loaded models compared layer by layer on the same images (CKA, matched
/// units, label changes). The layers are checked against both models before anything starts; the dataset is opened off
/// the device; the passes run with a lease on both models, on A's device (handed over between batches), with work-done
/// progress and cancellation. The result is remembered for hovers (<see cref="LastComparison"/>).
/// </summary>
[Handles(Methods.CompareCheckpoints, Execution.Background)]
internal sealed class CompareCheckpointsHandler(Connection connection, DaemonServices services) : IRequestHandler<CompareCheckpointsParams, CompareCheckpointsResult>
{
    private const int DefaultImages = 256, DefaultBatch = 8;

    public async Task<CompareCheckpointsResult> HandleAsync(CompareCheckpointsParams request, CancellationToken ct)
    {
        using var leaseA = services.Models.Lease(request.ModelIdA);
        using var leaseB = services.Models.Lease(request.ModelIdB);
        var (a, b) = (leaseA.Model, leaseB.Model);
        var settings = new ComparisonSettings(request.Layers is { Count: > 0 } layers ? [.. layers] : null, AnalysisChecks.BatchSize(request.BatchSize ?? DefaultBatch));
        int maxImages = AnalysisChecks.MaxImages(request.MaxImages) ?? DefaultImages;
        var engine = services.Evolution;
        engine.CheckComparison(a, b, settings);
        var spec = DatasetSpec.Parse(request.Dataset);
        services.Log.Info($"{connection.Name}: compare {request.ModelIdA} with {request.ModelIdB} over {spec.Name}");
        return await AnalysisRun.RunAsync(connection, services, a,
            new AnalysisRequest($"Compare {request.ModelIdA} with {request.ModelIdB}", request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.Comparison),
            async run =>
            {
                var images = await run.OffDeviceAsync((progress, token) => engine.OpenImages(spec, maxImages, progress, token)).ConfigureAwait(false);
                var result = await run.OnDeviceAsync(progress => engine.Compare(a, b, images, settings, progress, run.Token)).ConfigureAwait(false);
                services.LastComparison.Remember(result, Path.GetFileName(leaseA.Loaded.Info.Path), Path.GetFileName(leaseB.Loaded.Info.Path));
                return result;
            },
            r => $"{r.Layers.Count} layers on {r.Images} images; most changed: {string.Join(", ", r.RankedByChange.Take(3))}", ct).ConfigureAwait(false);
    }
}
