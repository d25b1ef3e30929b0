using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;
using E = UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/dissect</c>: network dissection of layers, cached per (checkpoint, layer, dataset,
/// options), in the <see cref="AnalysisRun"/> frame: in the background (hovers and model changes do
/// not wait for it; an unload frees the model when it ends), the dataset opened outside the device gate
/// (building the probe set the first time), what is not cached dissected inside it, each finished layer
/// sent as a partial result. Cancelled runs keep the layers finished so far cached.
/// </summary>
[Handles(Methods.Dissect, Execution.Background)]
internal sealed class DissectHandler(Connection connection, DaemonServices services) : IRequestHandler<DissectParams, DissectResult>
{
    public async Task<DissectResult> HandleAsync(DissectParams request, CancellationToken ct)
    {
        var options = DissectionMapping.Options(request.Options);
        var spec = DatasetSpec.Parse(request.Dataset);
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var layers = Layers(request.Layers, model);
        var engine = services.Dissection;
        var title = layers.Count == 1 ? $"Dissecting {layers[0]}" : $"Dissecting {layers.Count} layers";
        var frame = new AnalysisRequest(title, request.WorkDoneToken, request.PartialResultToken, BeginMessage: "opening the dataset");
        var done = new Dictionary<string, LayerDissection>(StringComparer.Ordinal);

        return await AnalysisRun.RunAsync(connection, services, model, frame, new DissectionProgressText(layers), async run =>
        {
            RunningDissections.Run? running = null;
            void Deliver(LayerDissection layer)
            {
                if (!done.TryAdd(layer.Layer, layer)) return;
                running?.Finished(layer.Layer);
                run.PostPartial(new DissectResult([layer]));
                // The lens above the layer counts its labelled units now, not at the end of the run.
                connection.RefreshCodeLenses();
            }

            var dataset = await run.OffDeviceAsync((progress, token) => engine.OpenDataset(spec, progress, token)).ConfigureAwait(false);
            var sizeNote = engine.SizeNote(model, dataset);
            if (sizeNote is not null) services.Log.Info($"{connection.Name}: {sizeNote}");
            options = DissectionMapping.ForDataset(options, dataset.Count);
            LayerDissection Map(E.LayerDissection d) => DissectionMapping.ToProtocol(d, spec.Name, dataset.Categories, engine.CategoryColor);

            foreach (var layer in layers)
                if (DissectionCache.Find(engine, model.CheckpointHash, layer, dataset.ContentHash, options) is { } cached)
                    Deliver(Map(cached));
            var missing = layers.Where(l => !done.ContainsKey(l)).ToList();
            if (missing.Count > 0)
            {
                using var marked = running = services.RunningDissections.Begin(model.CheckpointHash, spec, missing);
                // Lenses above these layers say "dissecting…" now; each completed layer refreshes them again.
                connection.RefreshCodeLenses();
                services.Log.Info($"{connection.Name}: dissect {string.Join(", ", missing)} of {request.ModelId} on {spec.Name} ({dataset.Count} images)");
                var computed = await run.OnDeviceAsync(progress => engine.Dissect(model, dataset, missing, options,
                    new Engine.SyncProgress<E.DissectionProgress>(p =>
                    {
                        if (p.CompletedLayer is { } completed) Deliver(Map(completed));
                        progress.Report(p);
                    }), run.Token)).ConfigureAwait(false);
                foreach (var layer in computed) Deliver(Map(layer));
            }
            run.Token.ThrowIfCancellationRequested();

            var absent = layers.Where(l => !done.ContainsKey(l)).ToList();
            if (absent.Count > 0)
                throw new InvalidOperationException($"the engine returned no result for {string.Join(", ", absent)}");
            return new DissectResult(run.SendsPartialResults ? [] : layers.Select(l => done[l]).ToList(), sizeNote is null ? null : [sizeNote]);
        },
        _ => Summary(layers.Select(l => done[l]).ToList()), ct,
        cancelled: () => done.Count == 0 ? "Cancelled" : $"Cancelled ({done.Count} of {layers.Count} layers done)").ConfigureAwait(false);
    }

    /// <summary>The requested layers, without duplicates, each one in the model and with a spatial output.</summary>
    internal static IReadOnlyList<string> Layers(IReadOnlyList<string> requested, IModel model)
    {
        var layers = requested.Select(l => l?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToList();
        if (layers.Count == 0) throw RpcErrors.InvalidParams("layers is empty: name at least one layer to dissect.");
        foreach (var name in layers)
        {
            if (name.Length == 0) throw RpcErrors.InvalidParams("layers holds an empty name.");
            AnalysisChecks.Layer(model, name, spatial: true, "dissection");
        }
        return layers;
    }

    private static string Summary(IReadOnlyList<LayerDissection> layers) =>
        string.Join("; ", layers.Select(l => $"{l.Layer}: {l.LabelledUnits}/{l.Units.Count} units labelled"));
}
