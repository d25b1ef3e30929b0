using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>
/// The explanatory graph (Zhang, Cao, Shi, Wu &amp; Zhu, "Interpreting CNN Knowledge via an Explanatory Graph",
/// AAAI 2018): the part patterns the filters of several conv layers encode, over images of one category, as a graph
/// whose nodes are patterns (a filter may hold several) and whose edges link a pattern to patterns of the layer above
/// it keeps a stable displacement to. One streaming forward pass keeps each filter's strongest peaks per image
/// (<see cref="ActivationPeaks"/>: memory images × filters × peaks, never the maps); <see cref="GraphMiner"/> then
/// mines the layers top-down from the peaks alone.
/// </summary>
public static class ExplanatoryGraphAnalysis
{
    /// <summary>Mines the graph of <see cref="GraphOptions.Layers"/> over <paramref name="images"/>.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument (see <see cref="Validate"/>); the set's errors.</exception>
    /// <exception cref="OperationCanceledException">Between batches and between EM iterations.</exception>
    public static ExplanatoryGraphResult Run(ModelSession model, IImageSet images, GraphOptions options,
        IProgress<GraphProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(options);
        Validate(model, images.Count, options);
        var peaks = CollectPeaks(model, images, options, progress, ct);
        var mined = GraphMiner.Mine(peaks, options, progress, ct);
        return GraphResults.Build(model.CheckpointHash, images, options, mined);
    }

    /// <summary>The checks <see cref="Run"/> makes before running anything, each naming the argument.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument: fewer than two layers or a repeated one, a
    /// layer without spatial maps, layers not listed from the top down, fewer than <see cref="GraphOptions.MinImages"/>
    /// images, a parameter out of range.</exception>
    public static void Validate(ModelSession model, int imageCount, GraphOptions options)
    {
        var layers = options.Layers;
        if (layers.Count < 1)
            throw Invalid("Name the layers to mine (--layers), from the top down, e.g. the last three conv layers.");
        if (layers.Distinct().Count() != layers.Count)
            throw Invalid($"The layers (--layers) name a layer twice: {string.Join(", ", layers)}.");
        var order = model.Layers.Select((l, i) => (l.Name, i)).ToDictionary(p => p.Name, p => p.i);
        foreach (string layer in layers)
        {
            var info = model.GetLayer(layer);
            if (info.OutputShape.Count != 3)
                throw Invalid($"Layer '{layer}' (--layers) has no spatial maps: its output is [{string.Join(", ", info.OutputShape)}], " +
                    "not [channels, height, width]; the explanatory graph mines peaks of conv layers' feature maps.");
        }
        for (int k = 1; k < layers.Count; k++)
            if (order[layers[k]] >= order[layers[k - 1]])
                throw Invalid($"The layers (--layers) must be listed from the top down (the deepest first): '{layers[k]}' comes after " +
                    $"'{layers[k - 1]}' in the model, so list it before. For example: {string.Join(",", layers.OrderByDescending(l => order[l]))}.");
        if (imageCount < GraphOptions.MinImages)
            throw Invalid($"The images (--data/--class) number {imageCount}: the explanatory graph needs at least {GraphOptions.MinImages} " +
                "images of the category to find displacements that are stable across images.");
        if (options.PatternsPerFilter is < 1 or > 50)
            throw Invalid($"The patterns per filter (--patterns) must be 1 to 50, not {options.PatternsPerFilter}.");
        if (options.ParentsPerNode is < 1 or > 100)
            throw Invalid($"The parents per node (--parents) must be 1 to 100, not {options.ParentsPerNode}.");
        if (options.Iterations is < 1 or > 200)
            throw Invalid($"The iterations (--iterations) must be 1 to 200, not {options.Iterations}.");
        if (options.PeaksPerMap is < 1 or > 100)
            throw Invalid($"The peaks per map (--peaks) must be 1 to 100, not {options.PeaksPerMap}.");
        if (!(options.PeakThreshold is >= 0 and < 1))
            throw Invalid($"The peak threshold (--peak-threshold) must be at least 0 and below 1, not {options.PeakThreshold}.");
        if (!(options.MinFrequency is >= 0 and <= 1))
            throw Invalid($"The minimum firing frequency (--min-frequency) must be 0 to 1, not {options.MinFrequency}.");
        if (options.PatchesPerNode is < 0 or > 100)
            throw Invalid($"The patches per node must be 0 to 100, not {options.PatchesPerNode}.");
        if (options.BatchSize < 1)
            throw Invalid($"The batch size must be at least 1, not {options.BatchSize}.");
    }

    /// <summary>
    /// The graph on one image (sized for the model as its set's images were): the nodes that fire, where and how
    /// strongly, layer by layer from the top down, as mining's last E-step found them on its own images.
    /// </summary>
    /// <exception cref="UnitScopeException">UnknownLayer when the graph is of another model's layers.</exception>
    public static GraphInference Infer(ModelSession model, ExplanatoryGraphResult graph, RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(image);
        var maps = Forward(model, [image], [.. graph.Layers.Select(l => l.Name)], graph.Options.PeaksPerMap, CancellationToken.None);
        var result = new List<LayerInference>();
        IReadOnlyList<PatternNode>? upper = null;
        var upperIds = new Dictionary<int, int>();
        for (int l = 0; l < graph.Layers.Count; l++)
        {
            var layer = graph.Layers[l];
            var (nodes, ids) = GraphResults.Nodes(layer, upperIds);
            foreach (var node in nodes)
                if (upper is null) node.PriorAtMean();
                else node.PriorFromParents(upper);
            double energy = 0, explained = 0;
            foreach (var group in nodes.GroupBy(n => n.Filter))
            {
                var filterNodes = group.ToList();
                PatternAssignment.Assign(PatternAssignment.AtLeast(maps[l].Filters[group.Key].PerImage[0], graph.Options.PeakThreshold * layer.FilterPeakMax[group.Key]), filterNodes, 0);
                explained += filterNodes.Sum(n => n.Basin[0]);
            }
            energy = maps[l].Filters.Sum(f => f.Energy[0]);
            result.Add(new LayerInference(layer.Name,
                [.. nodes.Select((n, k) => (n, k)).Where(p => p.n.Strength[0] > 0).Select(p => new NodeFiring(ids[p.k], p.n.FiredX[0], p.n.FiredY[0], p.n.Strength[0]))],
                energy > 0 ? explained / energy : 0));
            upper = nodes;
            upperIds = ids.Select((id, k) => (id, k)).ToDictionary(p => p.id, p => p.k);
        }
        return new GraphInference(result);
    }

    static List<LayerPeaks> CollectPeaks(ModelSession model, IImageSet images, GraphOptions options, IProgress<GraphProgress>? progress, CancellationToken ct)
    {
        var infos = options.Layers.Select(model.GetLayer).ToList();
        var layers = infos.Select(info => new LayerPeaks(info.Name, info.OutputShape[1], info.OutputShape[2],
            [.. Enumerable.Range(0, info.Units).Select(_ => new FilterPeaks(images.Count))], images.Count)).ToList();
        progress?.Report(new GraphProgress(AnalysisPhase.Peaks, 0, images.Count));
        for (int start = 0; start < images.Count; start += options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(options.BatchSize, images.Count - start), first = start;
            var loaded = new RgbImage[n];
            Parallel.For(0, n, ParallelWork.Options(ct), i => loaded[i] = images.Load(first + i));
            var batch = Forward(model, loaded, options.Layers, options.PeaksPerMap, ct);
            for (int l = 0; l < layers.Count; l++)
                for (int f = 0; f < layers[l].Filters.Count; f++)
                    for (int i = 0; i < n; i++)
                    {
                        layers[l].Filters[f].PerImage[first + i] = batch[l].Filters[f].PerImage[i];
                        layers[l].Filters[f].Energy[first + i] = batch[l].Filters[f].Energy[i];
                    }
            progress?.Report(new GraphProgress(AnalysisPhase.Peaks, start + n, images.Count));
        }
        return layers;
    }

    /// <summary>One forward pass of <paramref name="images"/>: every filter's peaks per image for each layer.</summary>
    static List<LayerPeaks> Forward(ModelSession model, IReadOnlyList<RgbImage> images, IReadOnlyList<string> layers, int k, CancellationToken ct)
    {
        using var scope = NewDisposeScope();
        var batch = ImageTensor.ToBatch(images, model.Input);
        var maps = model.ForwardBatch(PaddedBatch.Of(batch), layers, pass =>
            layers.Select(name => pass.Activations[name][..images.Count].to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray()).ToList());
        var result = new List<LayerPeaks>();
        for (int l = 0; l < layers.Count; l++)
        {
            var shape = model.GetLayer(layers[l]).OutputShape;
            int channels = shape[0], height = shape[1], width = shape[2], area = height * width;
            var filters = Enumerable.Range(0, channels).Select(_ => new FilterPeaks(images.Count)).ToArray();
            float[] data = maps[l];
            Parallel.For(0, images.Count * channels, ParallelWork.Options(ct), j =>
            {
                int image = j / channels, filter = j % channels;
                filters[filter].PerImage[image] = ActivationPeaks.Find(data.AsSpan(j * area, area), height, width, k, out double energy);
                filters[filter].Energy[image] = energy;
            });
            result.Add(new LayerPeaks(layers[l], height, width, filters, images.Count));
        }
        return result;
    }

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);
}
