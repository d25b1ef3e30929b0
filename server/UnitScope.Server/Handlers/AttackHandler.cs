using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Images;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/attack</c>: FGSM or PGD on one image (sized as the model's description says) and the layer's most changed
/// units, against the classes' rankings when an evaluation set is named. Runs in the background with a lease on the
/// model; the set is opened off the device gate, the attack and the rankings on it, with work-done progress and cancellation.
/// </summary>
[Handles(Methods.Attack, Execution.Background)]
internal sealed class AttackHandler(Connection connection, DaemonServices services) : IRequestHandler<AttackParams, AttackResult>
{
    public async Task<AttackResult> HandleAsync(AttackParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var image = model.SizeImage(ImageInput.Read(services.Images, request.ImagePath, request.ImageBase64, model.DecodeHint));
        var spec = request.EvaluationSet is null ? null : EvaluationSetSpec.Parse(request.EvaluationSet);
        var title = string.IsNullOrWhiteSpace(request.ImagePath) ? "Attack" : $"Attack on {Path.GetFileName(request.ImagePath.Trim())}";
        services.Log.Info($"{connection.Name}: {title} with {request.ModelId}, layer {request.Layer}, {request.Method ?? "pgd"} ε {request.Epsilon}");
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest(title, request.WorkDoneToken),
            new AnalysisProgressText(AnalysisProgressText.Attack),
            async run =>
            {
                var set = spec is null ? null : await run.OpenEvaluationSetAsync(services, spec).ConfigureAwait(false);
                return await run.OnDeviceAsync(progress => services.Adversarial.Attack(model, image, request, set, progress, run.Token)).ConfigureAwait(false);
            },
            r => $"{(r.Succeeded ? "fooled" : "not fooled")}: {r.CleanPrediction.Name} → {r.AttackedPrediction.Name}", ct).ConfigureAwait(false);
    }
}
