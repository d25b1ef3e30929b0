using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Storage;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Evolution;

/// <summary>
/// A training run as a timeline: for each checkpoint, in training order, the chosen layers' activation statistics on a
/// fixed image set (<see cref="ActivationStatistics"/>), their weights' norm and change from the previous checkpoint,
/// and optionally their dissection. One checkpoint is loaded at a time (with the previous one's weights of those layers
/// kept for the change); files with identical bytes are summarised once. Each checkpoint's statistics are stored in the
/// <see cref="AnalysisStore"/> keyed by its hash, the previous one's, the images and the layers, and dissections in the
/// dissection store, so a rerun computes nothing.
/// </summary>
public static class TrainingRun
{
    /// <exception cref="UnitScopeException">InvalidArgument (no layer, a batch size below 1, an empty set, dissection
    /// without a probe set), UnknownLayer, and loading errors naming the checkpoint.</exception>
    /// <param name="completed">Called with each checkpoint's summary as soon as it is done (the daemon's partial results).</param>
    /// <exception cref="OperationCanceledException">Between batches; completed checkpoints stay stored.</exception>
    public static EvolutionResult Evolve(IReadOnlyList<RunCheckpoint> run, Func<string, ModelSession> load, IImageSet images, EvolutionOptions options,
        AnalysisStore store, DissectionService? dissection = null, ISegmentationDataset? probe = null, IProgress<EvolutionProgress>? progress = null,
        Action<string>? log = null, CancellationToken ct = default, Action<CheckpointSnapshot>? completed = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(load);
        var layers = Check(images, options, store);
        if (options.Dissect && (dissection is null || probe is null)) throw Invalid("Dissecting along the run needs a probe set.");

        // Identical bytes: one summary, every name kept, at the first one's place in the order.
        var groups = run.Select(c => (Checkpoint: c, Hash: CheckpointReader.ComputeHash(c.Path, ct)))
            .GroupBy(c => c.Hash, StringComparer.Ordinal).Select(g => (g.Key, Members: g.Select(m => m.Checkpoint).ToList())).ToList();

        var snapshots = new List<CheckpointSnapshot>();
        Dictionary<string, Tensor>? previousWeights = null;
        string? previousHash = null;
        try
        {
            for (int k = 0; k < groups.Count; k++)
            {
                ct.ThrowIfCancellationRequested();
                var (hash, members) = groups[k];
                var first = members[0];
                using var session = Load(load, first.Path);
                var weightLayers = layers.ToDictionary(l => l, l => WeightLayer(session, l), StringComparer.Ordinal);
                var weights = Weights(session, weightLayers.Values.OfType<string>().Distinct());
                int index = k + 1;
                var stats = Statistics(session, previousHash, previousWeights, weights, weightLayers, images, layers, options.BatchSize, store,
                    done => progress?.Report(new EvolutionProgress(index, groups.Count, done, images.Count)), out bool cached, log, ct);
                var layerSnapshots = stats.Layers;
                if (options.Dissect)
                {
                    var dissected = dissection!.Dissect(session, probe!, layers, options.Dissection, null, ct).ToDictionary(d => d.Layer, StringComparer.Ordinal);
                    layerSnapshots = [.. layerSnapshots.Select(s => s with
                    {
                        Labelled = dissected[s.Layer].LabelledUnits,
                        LabelledByCategory = dissected[s.Layer].LabelledByCategory,
                        UnitConcepts = UnitConcepts(dissected[s.Layer]),
                    })];
                }
                var snapshot = new CheckpointSnapshot(hash, [.. members.Select(m => m.Path)], first.Epoch, first.Step, layerSnapshots) { Cached = cached };
                snapshots.Add(snapshot);
                completed?.Invoke(snapshot);
                progress?.Report(new EvolutionProgress(index, groups.Count, images.Count, images.Count));

                Dispose(previousWeights);
                previousWeights = weights;
                previousHash = hash;
            }
        }
        finally
        {
            Dispose(previousWeights);
        }
        return new EvolutionResult(images.ContentHash, images.Name, images.Count, layers, snapshots);
    }

    /// <summary>
    /// One checkpoint summarised as <see cref="Evolve"/> summarises it after <paramref name="previous"/> (the same stored
    /// entry, so a later <see cref="Evolve"/> finds it, and this finds what one stored): what a background summary of a
    /// checkpoint that just landed computes. The previous checkpoint is loaded only for its weights.
    /// </summary>
    /// <param name="previous">The run's checkpoint before it in training order (with other bytes); null for the first.</param>
    /// <exception cref="UnitScopeException">As <see cref="Evolve"/> (dissection is not done here).</exception>
    public static CheckpointSnapshot Summarise(RunCheckpoint checkpoint, RunCheckpoint? previous, Func<string, ModelSession> load, IImageSet images,
        EvolutionOptions options, AnalysisStore store, IProgress<EvolutionProgress>? progress = null, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(load);
        var layers = Check(images, options, store);
        Dictionary<string, Tensor>? previousWeights = null;
        string? previousHash = null;
        try
        {
            if (previous is not null)
            {
                using var before = Load(load, previous.Path);
                previousHash = before.CheckpointHash;
                previousWeights = Weights(before, layers.Select(l => WeightLayer(before, l)).OfType<string>().Distinct());
            }
            ct.ThrowIfCancellationRequested();
            using var session = Load(load, checkpoint.Path);
            var weightLayers = layers.ToDictionary(l => l, l => WeightLayer(session, l), StringComparer.Ordinal);
            var weights = Weights(session, weightLayers.Values.OfType<string>().Distinct());
            try
            {
                var stats = Statistics(session, previousHash, previousWeights, weights, weightLayers, images, layers, options.BatchSize, store,
                    done => progress?.Report(new EvolutionProgress(1, 1, done, images.Count)), out bool cached, log, ct);
                return new CheckpointSnapshot(session.CheckpointHash, [checkpoint.Path], checkpoint.Epoch, checkpoint.Step, stats.Layers) { Cached = cached };
            }
            finally
            {
                Dispose(weights);
            }
        }
        finally
        {
            Dispose(previousWeights);
        }
    }

    /// <summary>A checkpoint's stored statistics, found from its hash and the previous one's without loading anything
    /// (its input is the reference's: a run's checkpoints are read as the reference was); null when not stored.</summary>
    public static StoredSnapshot? Stored(string hash, string? previousHash, InputSpec input, IImageSet images, IReadOnlyList<string> layers, AnalysisStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.TryGet(AnalysisKey.Evolution(hash, input, previousHash, images, Normalise(layers)), out StoredSnapshot stored) ? stored : null;
    }

    /// <summary>One loaded checkpoint's statistics, stored under its hash and the previous one's (computed when missing).</summary>
    static StoredSnapshot Statistics(ModelSession session, string? previousHash, Dictionary<string, Tensor>? previousWeights, Dictionary<string, Tensor> weights,
        Dictionary<string, string?> weightLayers, IImageSet images, IReadOnlyList<string> layers, int batchSize, AnalysisStore store, Action<int> batchDone,
        out bool cached, Action<string>? log, CancellationToken ct) =>
        store.GetOrCompute(AnalysisKey.Evolution(session, previousHash, images, layers), () =>
        {
            var measured = ActivationStatistics.Measure(session, images, layers, batchSize, batchDone, ct);
            return new StoredSnapshot([.. layers.Select((layer, l) =>
            {
                string? w = weightLayers[layer];
                double? norm = w is null ? null : Norm(weights[w]);
                double? change = w is null || previousWeights is null || !previousWeights.TryGetValue(w, out var before) || !before.shape.SequenceEqual(weights[w].shape)
                    ? null : Change(weights[w], before);
                var (units, mean, dead, saturated) = measured[l];
                return new LayerSnapshot(layer, units, mean, dead, saturated, w, norm, change);
            })]);
        }, out cached, log);

    /// <summary>The layers to follow (trimmed, each once), the options and set checked.</summary>
    static List<string> Check(IImageSet images, EvolutionOptions options, AnalysisStore store)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        var layers = Normalise(options.Layers);
        if (layers.Count == 0) throw Invalid("Name at least one layer to follow (--layer).");
        if (options.BatchSize < 1) throw Invalid($"The batch size must be at least 1, not {options.BatchSize}.");
        if (images.Count == 0) throw Invalid($"The image set {images.Name} has no images.");
        return layers;
    }

    static List<string> Normalise(IReadOnlyList<string> layers) => layers.Select(l => l.Trim()).Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    static List<UnitConcept> UnitConcepts(LayerDissection layer) =>
        [.. layer.Units.Where(u => u.Best is not null).Select(u => new UnitConcept(u.Unit, u.Best!.Concept, u.Best.Category, u.Best.Iou, u.Label is not null))];

    /// <summary>What is stored per checkpoint (the statistics; labels come from the dissection store).</summary>
    public sealed record StoredSnapshot(IReadOnlyList<LayerSnapshot> Layers);

    static ModelSession Load(Func<string, ModelSession> load, string path)
    {
        try
        {
            return load(path);
        }
        catch (UnitScopeException e) when (!e.Message.Contains(Path.GetFileName(path), StringComparison.Ordinal))
        {
            throw new UnitScopeException(e.Kind, $"{Path.GetFileName(path)}: {e.Message}", e);
        }
    }

    /// <summary>The layer itself when it is a convolution or linear layer, else the nearest such layer before it (a ReLU's
    /// convolution); null when there is none.</summary>
    public static string? WeightLayer(ModelSession session, string layer)
    {
        session.GetLayer(layer);
        var weighted = CheckpointComparison.DefaultLayers(session).ToHashSet(StringComparer.Ordinal);
        var order = session.Layers.Select(l => l.Name).ToList();
        for (int i = order.IndexOf(layer); i >= 0; i--)
            if (weighted.Contains(order[i])) return order[i];
        return null;
    }

    /// <summary>CPU copies of the layers' weights.</summary>
    static Dictionary<string, Tensor> Weights(ModelSession session, IEnumerable<string> layers)
    {
        var wanted = layers.Select(l => l + ".weight").ToHashSet(StringComparer.Ordinal);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, parameter) in session.Module.named_parameters())
            if (wanted.Contains(name))
                result[name[..^".weight".Length]] = parameter.detach().to(ScalarType.Float64, CPU).clone();
        return result;
    }

    static double Norm(Tensor w) => w.norm().item<double>();

    static double Change(Tensor now, Tensor before)
    {
        using var scope = NewDisposeScope();
        double baseline = before.norm().item<double>();
        return baseline > 0 ? now.sub(before).norm().item<double>() / baseline : double.NaN;
    }

    static void Dispose(Dictionary<string, Tensor>? weights)
    {
        if (weights is null) return;
        foreach (var w in weights.Values) w.Dispose();
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);
}
