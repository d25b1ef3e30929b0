using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Analysis;
using UnitScope.Server.Dissection;
using UnitScope.Server.Models;
using UnitScope.Server.Rpc;
using E = UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Server.Handlers;

/// <summary>
/// <c>unitscope/dissect</c>: network dissection of layers, cached per (checkpoint, layer, dataset,
/// options). Runs in the background (hovers and model changes do not wait for it; an unload frees
/// the model when it ends), opens the dataset outside the device gate (building the probe set the
/// first time), and dissects what is not cached inside it, yielding the device between batches.
/// Work-done progress and partial results go out as <c>$/progress</c>; cancellation
/// (<c>$/cancelRequest</c>, or <c>window/workDoneProgress/cancel</c> on a daemon-created token) stops
/// it between batches with RequestCancelled, and the layers finished so far stay cached.
/// </summary>
[Handles(Methods.Dissect, Execution.Background)]
internal sealed class DissectHandler(Connection connection, DaemonServices services) : IRequestHandler<DissectParams, DissectResult>
{
    public async Task<DissectResult> HandleAsync(DissectParams request, CancellationToken ct)
    {
        var options = DissectionMapping.Options(request.Options);
        var spec = DatasetSpec.Parse(request.Dataset);
        var partialToken = request.PartialResultToken is { ValueKind: JsonValueKind.String or JsonValueKind.Number } pt ? pt : (JsonElement?)null;
        using var lease = services.Models.Lease(request.ModelId);
        var model = lease.Model;
        var layers = Layers(request.Layers, model);
        var engine = services.Dissection;

        var stream = new ProgressStream(connection);
        var title = layers.Count == 1 ? $"Dissecting {layers[0]}" : $"Dissecting {layers.Count} layers";
        using var progress = await WorkDoneProgress.BeginAsync(connection, stream, request.WorkDoneToken, title, "opening the dataset", ct)
            .ConfigureAwait(false);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, progress.CancelledByClient);
        var token = linked.Token;

        var done = new Dictionary<string, LayerDissection>(StringComparer.Ordinal);
        void Deliver(LayerDissection layer)
        {
            if (!done.TryAdd(layer.Layer, layer)) return;
            if (partialToken is { } t) stream.Post(t, new DissectResult([layer]));
        }

        try
        {
            var text = new DissectionProgressText(layers);
            var datasetProgress = new SyncProgress<E.DissectionProgress>(p =>
            {
                var line = text.Update(p);
                progress.Report(line.Message, line.Percentage, line.Stage);
            });
            var dataset = await Task.Run(() => engine.OpenDataset(spec, datasetProgress, token), token).ConfigureAwait(false);
            var categories = dataset.Categories;
            options = DissectionMapping.ForDataset(options, dataset.Count);
            LayerDissection Map(E.LayerDissection d) => DissectionMapping.ToProtocol(d, spec.Name, categories, engine.CategoryColor);

            foreach (var layer in layers)
            {
                if (DissectionCache.Find(engine, model.CheckpointHash, layer, dataset.ContentHash, options) is { } cached)
                    Deliver(Map(cached));
            }
            var missing = layers.Where(l => !done.ContainsKey(l)).ToList();
            if (missing.Count > 0)
            {
                services.Log.Info($"{connection.Name}: dissect {string.Join(", ", missing)} of {request.ModelId} on {spec.Name} ({dataset.Count} images)");
                text = new DissectionProgressText(missing);
                var computed = await services.Devices.RunYieldingAsync(model.DeviceName, yieldDevice =>
                {
                    var engineProgress = new SyncProgress<E.DissectionProgress>(p =>
                    {
                        var line = text.Update(p);
                        progress.Report(line.Message, line.Percentage, line.Stage);
                        if (p.CompletedLayer is { } completed) Deliver(Map(completed));
                        yieldDevice();
                    });
                    return engine.Dissect(model, dataset, missing, options, engineProgress, token);
                }, token).ConfigureAwait(false);
                foreach (var layer in computed) Deliver(Map(layer));
            }
            token.ThrowIfCancellationRequested();

            var missingAfter = layers.Where(l => !done.ContainsKey(l)).ToList();
            if (missingAfter.Count > 0)
                throw new InvalidOperationException($"the engine returned no result for {string.Join(", ", missingAfter)}");
            progress.End(Summary(layers.Select(l => done[l]).ToList()));
            await stream.DrainAsync().ConfigureAwait(false);
            return new DissectResult(partialToken is null ? layers.Select(l => done[l]).ToList() : []);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            progress.End(done.Count == 0 ? "Cancelled" : $"Cancelled ({done.Count} of {layers.Count} layers done)");
            await stream.DrainAsync().ConfigureAwait(false);
            if (!ct.IsCancellationRequested)
                throw RpcErrors.Standard(ErrorCodes.RequestCancelled, "The dissection was cancelled (window/workDoneProgress/cancel).");
            throw;
        }
        catch (Exception e)
        {
            progress.End($"Failed: {e.Message}");
            await stream.DrainAsync().ConfigureAwait(false);
            throw;
        }
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

/// <summary>An <see cref="IProgress{T}"/> that runs the handler on the reporting thread (unlike <see cref="Progress{T}"/>, which posts).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
