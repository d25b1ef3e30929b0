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
    public async Task<EvolveResult> HandleAsync(EvolveParams request, CancellationToken ct)
    {
        var (run, settings, maxImages) = RunRequest.Check(request.Run, request.Layers, request.Dissect ?? false, request.BatchSize, request.MaxImages);
        var layers = settings.Layers;
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var engine = services.Evolution;
        engine.CheckRun(model, settings);
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
