using UnitScope.Engine.Datasets;

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
/// positions, exactly, as <c>torch.quantile</c> defines it (linear between the two nearest of its n
/// sorted values: <see cref="ExactThresholds"/>).</item>
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
/// <para><b>Passes.</b> Pass 1 (<see cref="ThresholdPass"/>) is the only one that runs the model: one
/// forward pass per batch for all layers at once; beside the next batch's forward pass it brackets each
/// unit's threshold from the raw maps (<see cref="ThresholdBrackets"/>: bilinear values lie within
/// their sources' range, <see cref="CellGrid"/>), ranks images for the top lists, and writes the labels
/// (run-length encoded) and each layer's raw activations to temporary spill files. Then, per layer,
/// the threshold search narrows the brackets to the exact quantiles over the spill, and pass 2
/// (<see cref="IouPass"/>) thresholds and counts (<see cref="ConceptTally"/>) and keeps the top images'
/// masks. Both resample only the cells whose sources straddle what they compare with: about a
/// hundredth of the pixels of every map at full width. Counting is managed code on the host whatever
/// the device: it costs a fraction of the forward passes, and one implementation is checked
/// against the brute force instead of two.</para>
///
/// <para><b>Spill.</b> Raw (not resampled) activations in float32, as the model produced them: pass 2
/// thresholds exactly the values pass 1 counted (float16 would halve the disk, 2·units·h·w bytes per
/// image and layer instead of 4·units·h·w, but move values by up to 2^-11 relative, across t_u for some).
/// Written and read front to back through a FileStream; on Unix unlinked as soon as it is open, and
/// deleted on every platform when the run ends, fails or is cancelled (<see cref="SpillFile"/>).</para>
///
/// <para><b>Memory</b> holds the brackets and searches (units × 2 × 4096 counters), the tallies
/// (units × concepts), one or two batches, the top lists and their masks: nothing grows with the
/// number of images.</para>
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

    /// <param name="trace">Collects what tests look at beyond the result (IoU tables, threshold rounds).</param>
    internal static IReadOnlyList<LayerDissection> Run(IActivationSource source, ISegmentationDataset data, IReadOnlyList<string> layers,
        DissectionOptions options, IProgress<DissectionProgress>? progress, CancellationToken ct, string? spillDirectory,
        DissectionTrace? trace)
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
                runs.Add(new LayerRun(layer, options.TopImages, () => new SpillFile(directory, layer)));

            var labelArea = new long[concepts.MaxId + 1];
            var skips = new ImageSkips();
            var used = ThresholdPass.Run(source, data, layers, options, imageCount, concepts, labelArea, labelSpill, runs, skips, progress, ct);
            if (used.Length == 0)
                throw new UnitScopeException(EngineErrorKind.BadImage,
                    $"None of the {imageCount} probe images of {data.Root} could be read; the first: {skips.List[0].Problem}");
            var results = new List<LayerDissection>();
            foreach (var run in runs)
            {
                int rounds = run.FinishThresholds(options.Quantile, ct, (round, done) =>
                    progress?.Report(new DissectionProgress(AnalysisPhase.Quantiles, (int)done, used.Length) { Layer = run.Name, Round = round }));
                trace?.ThresholdRounds.Add(run.Name, rounds);
                var result = IouPass.Run(run, source, data, options, used.Length, concepts, labelArea, labelSpill, progress, ct, trace)
                    with { SkippedImages = skips.List };
                results.Add(result);
                run.Dispose(); // frees its spill as soon as it is done
                progress?.Report(new DissectionProgress(AnalysisPhase.Iou, used.Length, used.Length, result) { Layer = run.Name });
            }
            return results;
        }
        finally
        {
            foreach (var run in runs) run.Dispose();
            labelSpill?.Dispose();
        }
    }

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
}
