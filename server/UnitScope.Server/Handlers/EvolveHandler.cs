using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Evolution;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/evolve</c>: a training run as a timeline. The layers are checked against the reference model before
/// anything starts; the run's files are listed and the dataset opened off the device; the checkpoints are summarised one
/// at a time on the reference's device (handed over between batches), with work-done progress per checkpoint,
/// cancellation, and each checkpoint's summary as a partial result when the client gave a token (the response then holds
/// none, as LSP prescribes).
/// </summary>
[Handles(Methods.Evolve, Execution.Background)]
internal sealed class EvolveHandler(Connection connection, DaemonServices services) : IRequestHandler<EvolveParams, EvolveResult>
{
    /// <summary>Small and fixed: enough images for stable means, a pass per checkpoint that stays cheap.</summary>
    private const int DefaultImages = 64, DefaultBatch = 16;

    public async Task<EvolveResult> HandleAsync(EvolveParams request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Run)) throw RpcErrors.InvalidParams("run is empty: give the run's folder or a folder and a name pattern.");
        var layers = (request.Layers ?? []).Select(l => l?.Trim() ?? "").Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (layers.Count == 0) throw RpcErrors.InvalidParams("layers is empty: name at least one layer to follow.");
        var settings = new RunSettings(layers, request.Dissect ?? false, AnalysisChecks.BatchSize(request.BatchSize ?? DefaultBatch));
        int maxImages = AnalysisChecks.MaxImages(request.MaxImages) ?? DefaultImages;
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var engine = services.Evolution;
        engine.CheckRun(model, settings);
        string run = Path.GetFullPath(request.Run.Trim());
        // A remote client's run must lie in the server's roots (the Engine checks every file it reads too).
        UserFile.RequireInside(Directory.Exists(run) ? run : Path.GetDirectoryName(run) ?? run, "Run");
        var spec = DatasetSpec.Parse(request.Dataset);
        services.Log.Info($"{connection.Name}: evolve {run} ({string.Join(", ", layers)}) as {request.ModelId} over {spec.Name}");
        return await AnalysisRun.RunAsync(connection, services, model,
            new AnalysisRequest($"Training run {Path.GetFileName(run.TrimEnd(Path.DirectorySeparatorChar))}", request.WorkDoneToken, request.PartialResultToken),
            new RunProgressText(),
            async job =>
            {
                var checkpoints = await job.OffDeviceAsync((_, token) => engine.FindRun(run, token)).ConfigureAwait(false);
                var images = await job.OffDeviceAsync((progress, token) => engine.OpenImages(spec, maxImages,
                    new SyncProgress<AnalysisProgress>(p => progress.Report(new RunProgress(0, checkpoints.Count, p.Done, p.Total))), token)).ConfigureAwait(false);
                Action<CheckpointSummary>? completed = !job.SendsPartialResults ? null : summary =>
                    job.PostPartial(new EvolveResult(run, images.Name, images.Count, layers, 0, [summary]));
                var result = await job.OnDeviceAsync(progress => engine.Evolve(model, run, checkpoints, images, settings, completed, progress, job.Token))
                    .ConfigureAwait(false);
                return job.SendsPartialResults ? result with { Checkpoints = [] } : result;
            },
            r => $"{r.CheckpointCount} checkpoints of {string.Join(", ", r.Layers)} on {r.Images} images", ct).ConfigureAwait(false);
    }
}
