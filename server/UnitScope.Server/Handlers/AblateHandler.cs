using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/ablate</c>: per-class accuracy before and after zeroing units (and a random control
/// of as many units). Runs in the background with a lease on the model; the evaluation set is opened
/// outside the device gate (building the probe set the first time), the passes inside it, handing
/// the device over between batches. The engine zeroes units in forward hooks removed after each
/// pass, so the model is the same afterwards.
/// </summary>
[Handles(Methods.Ablate, Execution.Background)]
internal sealed class AblateHandler(Connection connection, DaemonServices services) : IRequestHandler<AblateParams, AblateResult>
{
    public async Task<AblateResult> HandleAsync(AblateParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var engine = services.Analysis;
        var settings = AnalysisChecks.Ablation(request, model);
        var spec = EvaluationSetSpec.Parse(request.EvaluationSet);
        var title = settings.Units.Count == 1
            ? $"Ablating unit {settings.Units[0]} of {settings.Layer}"
            : $"Ablating {settings.Units.Count} units of {settings.Layer}";
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest(title, request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.Ablation),
            async run =>
            {
                var set = await run.OpenEvaluationSetAsync(services, spec).ConfigureAwait(false);
                services.Log.Info($"{connection.Name}: ablate {settings.Layer} [{string.Join(", ", settings.Units)}] of {request.ModelId} on {spec.Name} ({set.Count} images)");
                var result = await run.OnDeviceAsync(progress => engine.Ablate(model, set, settings, progress, run.Token)).ConfigureAwait(false);
                return result with { EvaluationSet = spec.Name, Classes = AnalysisResults.ByChange(result.Classes) };
            },
            AnalysisResults.Summary, ct).ConfigureAwait(false);
    }
}
