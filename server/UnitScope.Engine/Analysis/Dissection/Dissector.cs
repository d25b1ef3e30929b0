using System.Buffers;
using System.Runtime.InteropServices;
using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Network dissection (Bau et al., "Understanding the role of individual units in a deep network",
/// PNAS 2020; counts as NetDissect-Lite's <c>tally</c>): which concept of a probe set each unit of a
/// layer detects.
///
/// <para><b>Definitions</b>, for unit u of a layer, probe image x and mask pixel p:</para>
/// <list type="bullet">
/// <item>a_u(x, p): the unit's map bilinearly resampled to x's mask size (MaskHeight × MaskWidth),
/// as PyTorch's <c>F.interpolate(mode="bilinear", align_corners=False)</c> (<see cref="MaskUpsampling"/>).</item>
/// <item>t_u: the (1 − <see cref="DissectionOptions.Quantile"/>) quantile of a_u over all images and
/// positions, estimated in one streaming pass within a stated bound (<see cref="UnitHistograms"/>;
/// <see cref="UnitDissection.ThresholdErrorBound"/>).</item>
/// <item>M_u(x) = {p : a_u(x, p) &gt; t_u}.</item>
/// <item>L_c(x): the pixels labelled c in any of x's label maps (a pixel may carry several concepts);
/// every pixel when c is one of x's image-level labels (e.g. a scene).</item>
/// <item>IoU(u, c) = Σ_x |M_u(x) ∩ L_c(x)| / (Σ_{x ∈ X_k} |M_u(x)| + Σ_x |L_c(x)| − Σ_x |M_u(x) ∩ L_c(x)|),
/// where X_k is the set of images with any label of c's category k. Broden is annotated partially:
/// an image without any label of a category (say, no part annotations) says nothing about whether
/// the unit's "on" pixels there are or are not one of that category's concepts, so those pixels
/// are left out of the union rather than counted as false positives (NetDissect-Lite conditions on
/// the category in the same spirit; it tests the category's labels under the unit's mask, we test
/// the image).</item>
/// <item>Label(u) = argmax_c IoU(u, c) if that IoU &gt; <see cref="DissectionOptions.IouThreshold"/>, else none;
/// Best(u) the argmax regardless (none when every IoU is 0); BestPerCategory the argmax within each
/// category with an IoU &gt; 0, in the dataset's category order. Ties go to the lower concept id.</item>
/// <item>Top images: by the unit's maximum over its own positions (before resampling), largest first.</item>
/// <item>LabelledByCategory: how many units' labels fall in each category (every category listed).</item>
/// </list>
///
/// <para><b>Passes.</b> Pass 1 is the only one that runs the model: one forward pass per batch for all
/// layers at once, which feeds each unit's histogram with a_u, ranks images for the top lists, writes
/// the labels (run-length encoded) and each layer's raw activations to temporary spill files.
/// Pass 2, layer by layer, reads the spill, resamples, thresholds and counts (<see cref="ConceptTally"/>).
/// On a CUDA device both passes count with tensor ops on the device; on the CPU, where libtorch's small
/// ops cost more than the counting, in vectorised managed code, pass 1's on a background task beside
/// the next batch's forward pass.</para>
///
/// <para><b>Spill.</b> Raw (not resampled) activations in float32, as the model produced them: pass 2
/// thresholds exactly the values pass 1 counted (float16 would halve the disk, 2·units·h·w bytes per
/// image and layer instead of 4·units·h·w, but move values by up to 2^-11 relative, across t_u for some).
/// Written and read front to back through a FileStream; on Unix unlinked as soon as it is open, and
/// deleted on every platform when the run ends, fails or is cancelled (<see cref="SpillFile"/>).</para>
///
/// <para><b>Memory</b> holds the histograms (units × <see cref="UnitHistograms.DefaultBins"/>), the
/// tallies (units × concepts), one or two batches and the top lists: nothing grows with the number of
/// images.</para>
/// </summary>
public static class Dissector
{
    /// <summary>Dissects <paramref name="layers"/> of a loaded model over <paramref name="data"/>.</summary>
    /// <param name="spillDirectory">Where the temporary activation files go (default: the system's temp folder).</param>
    /// <exception cref="UnitScopeException">UnknownLayer; InvalidArgument (bad options, a layer without maps, a bad probe image).</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="ct"/> is cancelled (checked between batches).</exception>
    public static IReadOnlyList<LayerDissection> Run(ModelSession model, ISegmentationDataset data, IReadOnlyList<string> layers,
        DissectionOptions options, IProgress<DissectionProgress>? progress, CancellationToken ct, string? spillDirectory = null) =>
        Run(new ModelActivationSource(model), data, layers, options, progress, ct, spillDirectory);

    /// <summary>Dissects the activations <paramref name="source"/> gives for <paramref name="data"/>'s images.</summary>
    /// <inheritdoc cref="Run(ModelSession, ISegmentationDataset, IReadOnlyList{string}, DissectionOptions, IProgress{DissectionProgress}?, CancellationToken, string?)"/>
    public static IReadOnlyList<LayerDissection> Run(IActivationSource source, ISegmentationDataset data, IReadOnlyList<string> layers,
        DissectionOptions options, IProgress<DissectionProgress>? progress, CancellationToken ct, string? spillDirectory = null) =>
        Run(source, data, layers, options, progress, ct, spillDirectory, trace: null);

    /// <param name="trace">Collects what tests look at beyond the result (IoU tables, recounted units).</param>
    /// <param name="tensorOps">Count with tensor ops even on the CPU, as on other devices (for tests; default: by device).</param>
    internal static IReadOnlyList<LayerDissection> Run(IActivationSource source, ISegmentationDataset data, IReadOnlyList<string> layers,
        DissectionOptions options, IProgress<DissectionProgress>? progress, CancellationToken ct, string? spillDirectory,
        DissectionTrace? trace, bool? tensorOps = null)
    {
        Validate(options, layers);
        source.CheckLayers(layers);
        int imageCount = Math.Min(data.Count, options.MaxImages ?? int.MaxValue);
        if (imageCount == 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The probe set at {data.Root} has no images to dissect.");
        var concepts = new ConceptIndex(data);
        string directory = spillDirectory ?? Path.GetTempPath();

        var runs = new List<LayerRun>();
        SpillFile? labelSpill = null;
        try
        {
            labelSpill = new SpillFile(directory, "labels");
            foreach (string layer in layers)
                runs.Add(new LayerRun(layer, source.Device, options.TopImages, new SpillFile(directory, layer), tensorOps));

            var labelArea = new long[concepts.MaxId + 1];
            CountThresholds(source, data, layers, options, imageCount, concepts, labelArea, labelSpill, runs, progress, ct);
            foreach (var run in runs)
            {
                int recounted = run.FinishThresholds(options.Quantile, labelSpill, imageCount, options.BatchSize, ct);
                trace?.Recounted.Add(run.Name, recounted);
            }

            var results = new List<LayerDissection>();
            foreach (var run in runs)
            {
                var result = Tally(run, source, data, options, imageCount, concepts, labelArea, labelSpill, progress, ct, trace, tensorOps);
                results.Add(result);
                run.Dispose(); // frees its spill and histograms as soon as it is done
                progress?.Report(new DissectionProgress("iou", imageCount, imageCount, result) { Layer = run.Name });
            }
            return results;
        }
        finally
        {
            foreach (var run in runs) run.Dispose();
            labelSpill?.Dispose();
        }
    }

    /// <summary>Pass 1: the forward passes, thresholds (histograms), top images, spills.</summary>
    static void CountThresholds(IActivationSource source, ISegmentationDataset data, IReadOnlyList<string> layers,
        DissectionOptions options, int imageCount, ConceptIndex concepts, long[] labelArea, SpillFile labelSpill,
        List<LayerRun> runs, IProgress<DissectionProgress>? progress, CancellationToken ct)
    {
        Task? counting = null;
        try
        {
            for (int start = 0; start < imageCount; start += options.BatchSize)
            {
                ct.ThrowIfCancellationRequested();
                int count = Math.Min(options.BatchSize, imageCount - start);
                var samples = new ProbeSample[count];
                var masks = new (int Height, int Width)[count];
                for (int i = 0; i < count; i++)
                {
                    samples[i] = data.Load(start + i);
                    masks[i] = (samples[i].MaskHeight, samples[i].MaskWidth);
                    if (masks[i].Height <= 0 || masks[i].Width <= 0)
                        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                            $"Probe image {start + i} cannot be dissected: its mask size is {masks[i].Height}x{masks[i].Width}.");
                }

                using var scope = NewDisposeScope();
                var activations = source.Forward(samples, layers);
                // The previous batch's counting (on the CPU, on another thread) must be done before the
                // ranges change.
                Finish(ref counting);
                var work = new List<(LayerRun Run, float[] Raw)>();
                try
                {
                    foreach (var run in runs)
                    {
                        var raw = activations.TryGetValue(run.Name, out var a) ? a
                            : throw new InvalidOperationException($"The activation source gave no output for layer '{run.Name}'.");
                        if (run.AddBatch(raw, masks, start, options.Quantile) is { } host)
                            work.Add((run, host));
                    }
                }
                finally
                {
                    foreach (var tensor in activations.Values) tensor.Dispose();
                }
                // The labels' checks, normalisation and spill, and on the CPU the resampling and counting,
                // run beside the next batch's loading and forward pass (which leave a core idle much of the time).
                int first = start;
                counting = Task.Run(() =>
                {
                    for (int i = 0; i < samples.Length; i++)
                    {
                        var imageLabels = ImageLabels.From(samples[i], first + i, concepts, labelArea);
                        imageLabels.WriteTo(labelSpill.Writer);
                        imageLabels.Release();
                    }
                    foreach (var (run, raw) in work)
                    {
                        run.CountOnHost(raw, masks, options.Quantile);
                        ArrayPool<float>.Shared.Return(raw);
                    }
                });
                progress?.Report(new DissectionProgress("thresholds", start + count, imageCount));
            }
            Finish(ref counting);
        }
        finally
        {
            // On failure or cancellation: let the counting end before anything is disposed.
            try { counting?.Wait(); } catch (AggregateException) { }
        }
    }

    static void Finish(ref Task? counting)
    {
        var task = counting;
        counting = null;
        task?.GetAwaiter().GetResult();
    }

    /// <summary>Pass 2 for one layer: the spill, thresholded, against the labels.</summary>
    static LayerDissection Tally(LayerRun run, IActivationSource source, ISegmentationDataset data, DissectionOptions options,
        int imageCount, ConceptIndex concepts, long[] labelArea, SpillFile labelSpill, IProgress<DissectionProgress>? progress, CancellationToken ct,
        DissectionTrace? trace, bool? tensorOps)
    {
        labelSpill.Rewind();
        run.Spill.Rewind();
        using var tally = new ConceptTally(run.Units, concepts.MaxId, concepts.Categories.Count, run.Thresholds, source.Device, tensorOps);
        for (int start = 0; start < imageCount; start += options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int count = Math.Min(options.BatchSize, imageCount - start);
            var labels = new ImageLabels[count];
            for (int i = 0; i < count; i++) labels[i] = ImageLabels.ReadFrom(labelSpill.Reader);

            if (tally.OnHost)
                tally.AddOnHost(run.ReadHostBatch(count), run.Height, run.Width, labels);
            else
            {
                using var scope = NewDisposeScope();
                var raw = run.ReadBatch(count).to(source.Device);
                foreach (var (positions, group) in GroupByMaskSize(labels))
                    tally.Add(positions.Length == count ? raw : raw.index_select(0, tensor(positions, device: source.Device)), group);
            }
            progress?.Report(new DissectionProgress("iou", start + count, imageCount) { Layer = run.Name });
        }
        var iou = tally.Iou(labelArea, concepts.CategoryOf);
        trace?.Iou.Add(run.Name, iou);
        return Summarise(run, iou, concepts, source, data, options, imageCount);
    }

    static LayerDissection Summarise(LayerRun run, double[] iou, ConceptIndex concepts, IActivationSource source,
        ISegmentationDataset data, DissectionOptions options, int imageCount)
    {
        int slots = concepts.MaxId + 1;
        var units = new List<UnitDissection>(run.Units);
        var labelled = concepts.Categories.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        for (int u = 0; u < run.Units; u++)
        {
            var scores = iou.AsSpan(u * slots, slots);
            var bestPerCategory = new ConceptScore?[concepts.Categories.Count];
            ConceptScore? best = null;
            for (int c = 1; c < slots; c++)
            {
                if (concepts.ById[c] is not { } concept || scores[c] <= 0) continue;
                var score = new ConceptScore(c, concept.Name, concept.Category, scores[c]);
                int k = concepts.CategoryOf[c];
                if (bestPerCategory[k] is null || score.Iou > bestPerCategory[k]!.Iou) bestPerCategory[k] = score;
                if (best is null || score.Iou > best.Iou) best = score;
            }
            var label = best is not null && best.Iou > options.IouThreshold ? best : null;
            if (label is not null) labelled[label.Category]++;
            units.Add(new UnitDissection(u, run.Thresholds[u], label, best,
                [.. bestPerCategory.OfType<ConceptScore>()], run.Top.For(u))
            {
                ThresholdErrorBound = run.Bounds[u],
            });
        }
        return new LayerDissection(run.Name, source.Identity, data.ContentHash, options, imageCount, units, labelled);
    }

    static IEnumerable<(long[] Positions, ImageLabels[] Labels)> GroupByMaskSize(ImageLabels[] labels) =>
        labels.Select((l, i) => (Label: l, Index: (long)i))
            .GroupBy(e => (e.Label.MaskHeight, e.Label.MaskWidth))
            .Select(g => (g.Select(e => e.Index).ToArray(), g.Select(e => e.Label).ToArray()));

    static IEnumerable<(long[] Positions, int Height, int Width)> GroupByMaskSize((int Height, int Width)[] masks) =>
        masks.Select((m, i) => (Mask: m, Index: (long)i))
            .GroupBy(e => e.Mask)
            .Select(g => (g.Select(e => e.Index).ToArray(), g.Key.Height, g.Key.Width));

    static void Validate(DissectionOptions options, IReadOnlyList<string> layers)
    {
        static UnitScopeException Bad(string message) => new(EngineErrorKind.InvalidArgument, message);
        if (!(options.Quantile > 0 && options.Quantile < 1))
            throw Bad($"Quantile must be between 0 and 1 (exclusive): the top fraction of activations that counts as \"on\" (got {options.Quantile}).");
        if (!(options.IouThreshold >= 0 && options.IouThreshold <= 1))
            throw Bad($"IouThreshold must be between 0 and 1 (got {options.IouThreshold}).");
        if (options.TopImages < 0)
            throw Bad($"TopImages must be 0 or more (got {options.TopImages}).");
        if (options.BatchSize < 1)
            throw Bad($"BatchSize must be at least 1 (got {options.BatchSize}).");
        if (options.MaxImages is < 1)
            throw Bad($"MaxImages must be at least 1 when given (got {options.MaxImages}).");
        if (layers.Count == 0)
            throw Bad("Name at least one layer to dissect.");
        if (layers.Distinct(StringComparer.Ordinal).Count() != layers.Count)
            throw Bad($"A layer is named twice: {string.Join(", ", layers)}.");
    }

    /// <summary>What a run reports beyond its result, for tests.</summary>
    internal sealed class DissectionTrace
    {
        /// <summary>Each layer's IoU table, [unit × (max concept id + 1)].</summary>
        public Dictionary<string, double[]> Iou { get; } = [];
        /// <summary>How many units of each layer had their threshold counted a second time (quantile under the floor).</summary>
        public Dictionary<string, int> Recounted { get; } = [];
    }

    /// <summary>Pass 1 state of one layer: histograms, top images, the activation spill; then its thresholds.</summary>
    sealed class LayerRun(string name, Device device, int topImages, SpillFile spill, bool? tensorOps) : IDisposable
    {
        UnitHistograms? _histograms;
        long _bytesPerImage;
        int _height, _width;
        bool _disposed;

        public string Name { get; } = name;
        public SpillFile Spill { get; } = spill;
        public int Units { get; private set; }
        public TopImageTracker Top { get; private set; } = null!;
        public float[] Thresholds { get; private set; } = [];
        public float[] Bounds { get; private set; } = [];

        /// <summary>
        /// <paramref name="raw"/> [N, U, h, w]: the layer's output for images firstImage…: widens the
        /// histograms' ranges, ranks the images, writes the spill, and counts the values — with tensor
        /// ops here, or, on the CPU, returns a copy of the activations for <see cref="CountOnHost"/>.
        /// </summary>
        public float[]? AddBatch(Tensor raw, (int Height, int Width)[] masks, int firstImage, double quantile)
        {
            if (raw.dim() != 4 || raw.shape[0] != masks.Length)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"Layer '{Name}' gave activations of shape [{string.Join(", ", raw.shape)}] for {masks.Length} images: dissection needs [images, units, height, width].");
            if (raw.dtype != ScalarType.Float32) raw = raw.to(ScalarType.Float32);
            raw = raw.contiguous();
            if (_histograms is null)
            {
                Units = (int)raw.shape[1];
                _height = (int)raw.shape[2];
                _width = (int)raw.shape[3];
                _bytesPerImage = (long)Units * _height * _width * sizeof(float);
                _histograms = new UnitHistograms(Units, device, tensorOps: tensorOps);
                Top = new TopImageTracker(Units, topImages);
            }
            else if (raw.shape[1] != Units || raw.shape[2] != _height || raw.shape[3] != _width)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"Layer '{Name}' changed shape between batches: [{Units}, {_height}, {_width}], then [{string.Join(", ", raw.shape.Skip(1))}].");

            var host = raw.cpu();
            Spill.Write(host.bytes);
            float[]? values = null;
            double[] min, max;
            float[] maxima; // [N × U]
            if (_histograms.OnHost)
            {
                // Extremes in managed code: on the CPU a few libtorch reductions cost more than the scan.
                var floats = MemoryMarshal.Cast<byte, float>(host.bytes);
                values = ArrayPool<float>.Shared.Rent(floats.Length); // returned after CountOnHost
                floats.CopyTo(values);
                (min, max, maxima) = Extremes(values, masks.Length);
            }
            else
            {
                min = raw.amin([0, 2, 3]).to(ScalarType.Float64).cpu().data<double>().ToArray();
                max = raw.amax([0, 2, 3]).to(ScalarType.Float64).cpu().data<double>().ToArray();
                maxima = raw.amax([2, 3]).cpu().data<float>().ToArray();
            }
            for (int u = 0; u < Units; u++)
                if (!double.IsFinite(min[u]) || !double.IsFinite(max[u]))
                    throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                        $"Layer '{Name}' unit {u} has non-finite activations (NaN or infinity) among probe images {firstImage}–{firstImage + masks.Length - 1}.");
            _histograms.Include(min, max);
            Top.Add(maxima, firstImage, masks.Length);
            if (values is not null)
                return values;
            Histogram(_histograms, raw, masks, maxima, Enumerable.Range(0, Units).ToArray());
            _histograms.RaiseFloors(1 - quantile);
            return null;
        }

        /// <summary>Per unit: smallest and largest value (NaN if any is NaN); per map: largest value.</summary>
        (double[] Min, double[] Max, float[] Maxima) Extremes(float[] values, int images)
        {
            int mapSize = _height * _width;
            var min = Enumerable.Repeat(double.PositiveInfinity, Units).ToArray();
            var max = Enumerable.Repeat(double.NegativeInfinity, Units).ToArray();
            var maxima = new float[images * Units];
            for (int n = 0; n < images; n++)
                for (int u = 0; u < Units; u++)
                {
                    float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
                    bool nan = false;
                    foreach (float v in values.AsSpan((n * Units + u) * mapSize, mapSize))
                    {
                        if (v < lo) lo = v;
                        if (v > hi) hi = v;
                        nan |= float.IsNaN(v);
                    }
                    maxima[n * Units + u] = nan ? float.NaN : hi;
                    min[u] = nan ? double.NaN : Math.Min(min[u], lo);
                    max[u] = nan ? double.NaN : Math.Max(max[u], hi);
                }
            return (min, max, maxima);
        }

        /// <summary>The CPU path's counting of one batch (<see cref="AddBatch"/>'s copy); may run on another thread.</summary>
        public void CountOnHost(float[] raw, (int Height, int Width)[] masks, double quantile)
        {
            _histograms!.AddMaps(raw, masks.Length, _height, _width, masks);
            _histograms.RaiseFloors(1 - quantile);
        }

        /// <summary>
        /// Reads the thresholds out of the histograms; units whose quantile fell under their floor
        /// (see <see cref="UnitHistograms"/>) are counted again from the spill, without floors.
        /// Returns how many units were counted again.
        /// </summary>
        public int FinishThresholds(double quantile, SpillFile labelSpill, int imageCount, int batchSize, CancellationToken ct)
        {
            (Thresholds, Bounds) = _histograms!.Quantiles(1 - quantile);
            var again = Enumerable.Range(0, Units).Where(u => float.IsNaN(Thresholds[u])).ToArray();
            if (again.Length > 0)
                Recount(again, quantile, labelSpill, imageCount, batchSize, ct);
            _histograms.Dispose();
            _histograms = null;
            Spill.Rewind();
            return again.Length;
        }

        /// <summary>
        /// Adds images' a_u to <paramref name="histograms"/>, whose unit i is this layer's unit
        /// <paramref name="units"/>[i] (<paramref name="raw"/> [N, units, h, w] holds just those). A map
        /// whose raw maximum (<paramref name="maxima"/>[n × units + i]) lies under its unit's floor
        /// is counted as under it whole, without resampling: bilinear values are convex combinations of the raw ones.
        /// </summary>
        void Histogram(UnitHistograms histograms, Tensor raw, (int Height, int Width)[] masks, float[] maxima, int[] units)
        {
            int count = units.Length;
            var floors = Enumerable.Range(0, count)
                .Select(i => histograms.Floor(i) is var f && double.IsNegativeInfinity(f) ? f : f - Math.Abs(f) * 1e-6).ToArray();
            var flat = raw.reshape(-1, _height, _width); // row n × count + i
            foreach (var (positions, height, width) in GroupByMaskSize(masks))
            {
                var rows = new List<long>();
                var rowUnits = new List<int>();
                foreach (long n in positions)
                    for (int i = 0; i < count; i++)
                    {
                        if (maxima[n * count + i] < floors[i]) histograms.AddBelow(i, (long)height * width);
                        else
                        {
                            rows.Add(n * count + i);
                            rowUnits.Add(i);
                        }
                    }
                if (rows.Count == 0) continue;
                var selected = rows.Count == flat.shape[0] ? flat : flat.index_select(0, tensor(rows.ToArray(), device: flat.device));
                long chunk = MaskUpsampling.RowsPerChunk((long)height * width);
                for (int start = 0; start < rows.Count; start += (int)chunk)
                {
                    using var chunkScope = NewDisposeScope();
                    int length = (int)Math.Min(chunk, rows.Count - start);
                    var values = MaskUpsampling.ToMask(selected.narrow(0, start, length), height, width);
                    if (height == _height && width == _width) values = values.clone(); // may be a view of raw: Add may overwrite it
                    histograms.Add(values, rowUnits.GetRange(start, length).ToArray());
                }
            }
        }

        void Recount(int[] units, double quantile, SpillFile labelSpill, int imageCount, int batchSize, CancellationToken ct)
        {
            using var histograms = new UnitHistograms(units.Length, device, tensorOps: tensorOps);
            var extremes = units.Select(_histograms!.Extremes).ToArray();
            histograms.Include(extremes.Select(e => e.Min).ToArray(), extremes.Select(e => e.Max).ToArray());
            Spill.Rewind();
            labelSpill.Rewind();
            for (int start = 0; start < imageCount; start += batchSize)
            {
                ct.ThrowIfCancellationRequested();
                int count = Math.Min(batchSize, imageCount - start);
                var labels = new ImageLabels[count];
                for (int i = 0; i < count; i++) labels[i] = ImageLabels.ReadFrom(labelSpill.Reader);
                using var scope = NewDisposeScope();
                var raw = ReadBatch(count).to(device).index_select(1, tensor(units.Select(u => (long)u).ToArray(), device: device)).contiguous();
                var maxima = raw.amax([2, 3]).cpu().data<float>().ToArray();
                Histogram(histograms, raw, labels.Select(l => (l.MaskHeight, l.MaskWidth)).ToArray(), maxima, units);
            }
            var (thresholds, bounds) = histograms.Quantiles(1 - quantile);
            for (int i = 0; i < units.Length; i++)
            {
                Thresholds[units[i]] = thresholds[i];
                Bounds[units[i]] = bounds[i];
            }
        }

        public int Height => _height;
        public int Width => _width;

        /// <summary>The next <paramref name="count"/> images' raw activations from the spill, [count × U × h × w].</summary>
        public float[] ReadHostBatch(int count)
        {
            var batch = new float[count * (long)Units * _height * _width];
            Spill.ReadExactly(MemoryMarshal.AsBytes(batch.AsSpan()));
            return batch;
        }

        /// <summary>The next <paramref name="count"/> images' raw activations from the spill, on the CPU.</summary>
        public Tensor ReadBatch(int count)
        {
            var batch = empty([count, Units, _height, _width], ScalarType.Float32);
            Spill.ReadExactly(batch.bytes);
            return batch;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _histograms?.Dispose();
            Spill.Dispose();
        }
    }
}
