using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/rankUnits</c>: each unit of a layer zeroed alone and ranked by the drop of a class's
/// metric, then the top-k vs random-k curve. Background, leased, on the device between batches;
/// units measured so far go out as partial results when the client gave a token (each unit once; those
/// the engine could not tell as it went, in a last one before the response, which then holds none),
/// each with its dissected label when the layer's default dissection is cached.
/// </summary>
[Handles(Methods.RankUnits, Execution.Background)]
internal sealed class RankUnitsHandler(Connection connection, DaemonServices services) : IRequestHandler<RankUnitsParams, RankUnitsResult>
{
    public async Task<RankUnitsResult> HandleAsync(RankUnitsParams request, CancellationToken ct)
    {
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var engine = services.Analysis;
        var classNames = engine.ClassNames(model);
        var settings = AnalysisChecks.Ranking(request, model, classNames);
        var spec = EvaluationSetSpec.Parse(request.EvaluationSet);
        var labels = AnalysisResults.Labels(services.Dissection, model.CheckpointHash, settings.Layer, connection.DefaultDataset);
        var title = $"Ranking units of {settings.Layer} for {classNames[settings.Class]}";
        IReadOnlyList<RankedUnit> ranked = [];
        return await AnalysisRun.RunAsync(connection, services, model, new AnalysisRequest(title, request.WorkDoneToken, request.PartialResultToken),
            new AnalysisProgressText(AnalysisProgressText.Ranking),
            async run =>
            {
                var set = await run.OpenEvaluationSetAsync(services, spec).ConfigureAwait(false);
                services.Log.Info($"{connection.Name}: rank units of {settings.Layer} for class {settings.Class} of {request.ModelId} on {spec.Name} ({set.Count} images)");
                // Each unit goes out once: as the engine measures it, and the rest (if the engine could not
                // tell them as it went) in one last partial result before the response.
                var sent = new HashSet<int>();
                void Post(RankUnitsResult partial)
                {
                    var fresh = partial.Units.Where(u => sent.Add(u.Unit)).ToList();
                    if (fresh.Count == 0 || !run.SendsPartialResults) return;
                    run.PostPartial(partial with
                    {
                        EvaluationSet = spec.Name,
                        Units = AnalysisResults.Labelled(fresh, labels),
                        Curve = null,
                        CurvePng = null,
                    });
                }
                Action<RankUnitsResult>? measured = !run.SendsPartialResults ? null : partial => Post(partial with { Before = 0 });
                var result = await run.OnDeviceAsync(progress => engine.RankUnits(model, set, settings, measured, progress, run.Token))
                    .ConfigureAwait(false);
                ranked = AnalysisResults.ByDrop(AnalysisResults.Labelled(result.Units, labels));
                if (run.SendsPartialResults) Post(result with { Units = ranked });
                return result with { EvaluationSet = spec.Name, Units = run.SendsPartialResults ? [] : ranked };
            },
            result => AnalysisResults.Summary(result, ranked), ct).ConfigureAwait(false);
    }
}
