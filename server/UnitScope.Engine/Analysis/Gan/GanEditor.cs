using TorchSharp;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>
/// Interventions on a generator layer (GAN Dissection §4): ablating a concept's units (zeroing their maps everywhere)
/// and inserting a concept (forcing its units on inside a region). Edits reach the generator only as an
/// <see cref="OutputEdit"/> for one pass (<see cref="ModelSession.ForwardBatch{T}(Tensor, IReadOnlyCollection{string}, Func{ForwardPass, T}, OutputEdit?)"/>):
/// no weight is touched. Every variant runs on the same latents; the segmenter measures the concept's pixels.
/// </summary>
public static class GanEditor
{
    /// <summary>Zeroes the top k units of the concept, and k random others as the control.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument: options, an unknown concept, a concept with fewer than k units.</exception>
    public static GanAblation Ablate(ModelSession generator, ISceneSegmenter segmenter, GanDissection dissection, GanEditOptions options,
        IProgress<GanProgress>? progress = null, CancellationToken ct = default)
    {
        var (layerUnits, concept, top) = Choose(generator, segmenter, dissection, options);
        var random = new Random(options.Seed);
        var others = Enumerable.Range(0, layerUnits).Except(top).ToArray();
        var draws = new List<IReadOnlyList<int>>();
        for (int d = 0; d < options.RandomDraws; d++)
        {
            random.Shuffle(others);
            draws.Add([.. others.Take(top.Count).Order()]);
        }
        var device = torch.device(generator.DeviceName);
        var masks = new[] { top }.Concat(draws).Select(units => UnitMask(layerUnits, units, device, keep: true)).ToList();
        try
        {
            var edits = new List<OutputEdit?> { null };
            edits.AddRange(masks.Select(mask => new OutputEdit(dissection.Layer, output => output.mul(mask))));
            var measured = Measure(generator, segmenter, concept, edits, options, region: null, progress, ct);
            double total = measured.Pixels;
            return new GanAblation(dissection.Layer, concept.Name, concept.Category, options.Samples, top,
                measured.Inside[0] / total, measured.Inside[1] / total,
                draws, [.. measured.Inside.Skip(2).Select(c => c / total)], measured.Examples);
        }
        finally
        {
            foreach (var mask in masks) mask.Dispose();
        }
    }

    /// <summary>
    /// Forces the top k units of the concept on inside <see cref="GanEditOptions.Region"/>: each to its largest value
    /// over the dissection's samples (its first top image's maximum), at the layer positions the region covers.
    /// </summary>
    public static GanInsertion Insert(ModelSession generator, ISceneSegmenter segmenter, GanDissection dissection, GanEditOptions options,
        IProgress<GanProgress>? progress = null, CancellationToken ct = default)
    {
        var (layerUnits, concept, units) = Choose(generator, segmenter, dissection, options);
        var region = options.Region ?? throw new UnitScopeException(EngineErrorKind.InvalidArgument, "Insertion needs a region (--region x0,y0,x1,y1).");
        var (side, _) = ImageSize(generator);
        region.Validate(side.Width, side.Height);
        var shape = generator.GetLayer(dissection.Layer).OutputShape;
        int h = shape[1], w = shape[2];
        var layerRegion = new ImageRegion(
            (int)Math.Floor((double)region.X0 * w / side.Width), (int)Math.Floor((double)region.Y0 * h / side.Height),
            (int)Math.Ceiling((double)region.X1 * w / side.Width), (int)Math.Ceiling((double)region.Y1 * h / side.Height));
        float[] values = [.. units.Select(u => dissection.Dissection.Units[u].TopImages.Count > 0 ? dissection.Dissection.Units[u].TopImages[0].MaxActivation : 0f)];

        var device = torch.device(generator.DeviceName);
        using var scope = NewDisposeScope();
        var unitOn = UnitMask(layerUnits, units, device, keep: false);
        var where = zeros(1, 1, h, w, device: device);
        where[.., .., TensorIndex.Slice(layerRegion.Y0, layerRegion.Y1), TensorIndex.Slice(layerRegion.X0, layerRegion.X1)] = ones(1, 1, layerRegion.Y1 - layerRegion.Y0, layerRegion.X1 - layerRegion.X0, device: device);
        var forced = unitOn.mul(where);
        var value = zeros(1, layerUnits, 1, 1, device: device);
        for (int i = 0; i < units.Count; i++) value[0, units[i], 0, 0] = tensor(values[i]);
        var keep = ones_like(forced).sub(forced);
        var add = value.mul(forced);
        foreach (var t in (Tensor[])[keep, add]) t.DetachFromDisposeScope();
        try
        {
            var edit = new OutputEdit(dissection.Layer, output => output.mul(keep).add(add, Scalars.One));
            var measured = Measure(generator, segmenter, concept, [null, edit], options, region, progress, ct);
            double inside = (double)options.Samples * region.Area, outside = measured.Pixels - inside;
            int gaining = measured.InsidePerSample[0].Zip(measured.InsidePerSample[1]).Count(p => p.Second > p.First);
            return new GanInsertion(dissection.Layer, concept.Name, concept.Category, options.Samples, units, values, region, layerRegion,
                measured.Inside[0] / inside, measured.Inside[1] / inside,
                outside == 0 ? 0 : measured.Outside[0] / outside, outside == 0 ? 0 : measured.Outside[1] / outside,
                gaining, measured.Examples);
        }
        finally
        {
            keep.Dispose();
            add.Dispose();
        }
    }

    static (int LayerUnits, Concept Concept, IReadOnlyList<int> Units) Choose(ModelSession generator, ISceneSegmenter segmenter,
        GanDissection dissection, GanEditOptions options)
    {
        GanSampling.RequireGenerator(generator);
        if (dissection.GeneratorHash != generator.CheckpointHash || dissection.SegmenterHash != segmenter.Identity)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                "The dissection given was made with another generator or segmenter: dissect this generator's layer with this segmenter first.");
        int layerUnits = generator.GetLayer(dissection.Layer).OutputShape[0];
        // The concept first: an unknown one is the likelier mistake, and its message lists the ones there are.
        var ranking = string.IsNullOrWhiteSpace(options.Concept) ? null : dissection.For(options.Concept);
        options.Validate(layerUnits);
        if (ranking!.Units.Count < options.Units)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Concept '{ranking.Concept}' has {ranking.Units.Count} units of {dissection.Layer} with IoU > 0 (ranked: {dissection.Options.UnitsPerConcept}); " +
                $"ask for at most that many (--units).");
        var concept = segmenter.Concepts.First(c => c.Id == ranking.ConceptId);
        return (layerUnits, concept, [.. ranking.Units.Take(options.Units).Select(u => u.Unit)]);
    }

    /// <summary>[1, units, 1, 1]: with <paramref name="keep"/>, 1 except 0 at <paramref name="units"/>; else 0 except 1 there.</summary>
    static Tensor UnitMask(int layerUnits, IReadOnlyList<int> units, Device device, bool keep)
    {
        var values = Enumerable.Repeat(keep ? 1f : 0f, layerUnits).ToArray();
        foreach (int u in units) values[u] = keep ? 0f : 1f;
        return tensor(values).view(1, layerUnits, 1, 1).to(device).DetachFromDisposeScope();
    }

    static ((int Width, int Height) Size, int Channels) ImageSize(ModelSession generator)
    {
        using var scope = NewDisposeScope();
        using var z = zeros(1, generator.LatentSize, 1, 1);
        var shape = generator.ForwardBatch(z, [], pass => pass.Output.shape);
        return (((int)shape[3], (int)shape[2]), (int)shape[1]);
    }

    sealed record Measured(double[] Inside, double[] Outside, double Pixels, List<long>[] InsidePerSample, IReadOnlyList<EditExample> Examples);

    /// <summary>
    /// Per edit (null: intact), the concept's segmented pixels inside the region (everywhere when there is none) and
    /// outside it, summed over the samples; per sample for the first two edits; the first samples' images.
    /// </summary>
    static Measured Measure(ModelSession generator, ISceneSegmenter segmenter, Concept concept, IReadOnlyList<OutputEdit?> edits,
        GanEditOptions options, ImageRegion? region, IProgress<GanProgress>? progress, CancellationToken ct)
    {
        using var latents = GanSampling.Latents(generator.LatentSize, options.Samples, options.Seed);
        var inside = new double[edits.Count];
        var outside = new double[edits.Count];
        var perSample = new[] { new List<long>(), new List<long>() };
        var examples = new List<EditExample>();
        double pixels = 0;
        for (int start = 0; start < options.Samples; start += options.BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(options.BatchSize, options.Samples - start);
            using var scope = NewDisposeScope();
            var z = latents.narrow(0, start, n);
            Tensor? original = null, edited = null;
            for (int e = 0; e < edits.Count; e++)
            {
                var images = generator.ForwardBatch(z, [], pass => GanSampling.ToUnitRange(pass.Output).MoveToOuterDisposeScope(), edits[e]);
                var labels = segmenter.Segment(images);
                var hit = labels[concept.Category].eq(concept.Id);
                foreach (var map in labels.Values) map.Dispose();
                if (e == 0) pixels += hit.numel();
                Tensor inRegion = hit;
                if (region is not null)
                {
                    var mask = zeros_like(hit);
                    mask[.., TensorIndex.Slice(region.Y0, region.Y1), TensorIndex.Slice(region.X0, region.X1)] = ones(n, region.Y1 - region.Y0, region.X1 - region.X0, dtype: ScalarType.Bool);
                    inRegion = hit.logical_and(mask);
                    outside[e] += hit.logical_and(mask.logical_not()).sum().item<long>();
                }
                inside[e] += inRegion.sum().item<long>();
                if (e < 2)
                    perSample[e].AddRange(inRegion.flatten(1).sum(1).data<long>().ToArray());
                if (e == 0) original = images;
                if (e == 1) edited = images;
            }
            for (int i = 0; i < n && examples.Count < options.Examples && original is not null && edited is not null; i++)
                examples.Add(new EditExample(start + i, GanSampling.ToImage(original, i), GanSampling.ToImage(edited, i)));
            progress?.Report(new GanProgress(AnalysisPhase.GanEdit, start + n, options.Samples));
        }
        return new Measured(inside, outside, pixels, perSample, examples);
    }
}
