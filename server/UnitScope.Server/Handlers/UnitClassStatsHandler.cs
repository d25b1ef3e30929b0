using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/unitClassStats</c>: one unit's activations on a class's images vs the rest of the
/// evaluation set, with a jitter plot and the unit's dissected label when cached. Background, leased,
/// on the device between batches, with work-done progress and cancellation.
/// </summary>
[Handles(Methods.UnitClassStats, Execution.Background)]
internal sealed class UnitClassStatsHandler(Connection connection, DaemonServices services) : IRequestHandler<UnitClassStatsParams, UnitClassStatsResult>
{
    public async Task<UnitClassStatsResult> HandleAsync(UnitClassStatsParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var engine = services.Analysis;
        var classNames = engine.ClassNames(model);
        var settings = AnalysisChecks.UnitClass(request, model, classNames);
        var spec = EvaluationSetSpec.Parse(request.EvaluationSet);
        var labels = AnalysisResults.Labels(services.Dissection, model.CheckpointHash, settings.Layer, connection.DefaultDataset);
        var title = $"Unit {settings.Unit} of {settings.Layer} on {classNames[settings.Class]}";
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest(title, request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.UnitClass),
            async run =>
            {
                var set = await run.OpenEvaluationSetAsync(services, spec).ConfigureAwait(false);
                var result = await run.OnDeviceAsync(progress => engine.UnitClassStats(model, set, settings, progress, run.Token))
                    .ConfigureAwait(false);
                return result with { EvaluationSet = spec.Name, Label = labels.GetValueOrDefault(settings.Unit) };
            },
            AnalysisResults.Summary, ct).ConfigureAwait(false);
    }
}
