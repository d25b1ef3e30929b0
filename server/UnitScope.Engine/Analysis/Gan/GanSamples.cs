using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>A generated sample and its segmentation: per category, concept ids per pixel (row-major, 0 none).</summary>
public sealed record GeneratedSample(int Index, RgbImage Image, IReadOnlyDictionary<string, int[]> Labels);

/// <summary>Samples of a generator, segmented: what pictures of a GAN analysis show.</summary>
public static class GanSamples
{
    /// <summary>Samples 0 … <paramref name="count"/> − 1 of <paramref name="seed"/> (the same scenes a dissection or edit with that seed sees).</summary>
    public static IReadOnlyList<GeneratedSample> Draw(ModelSession generator, ISceneSegmenter segmenter, int count, int seed)
    {
        GanSampling.RequireGenerator(generator);
        if (count is < 1 or > 1024)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Draw 1 to 1024 samples at a time, not {count}.");
        using var scope = NewDisposeScope();
        var z = GanSampling.Latents(generator.LatentSize, count, seed);
        var images = generator.ForwardBatch(z, [], pass => GanSampling.ToUnitRange(pass.Output).MoveToOuterDisposeScope());
        var labels = segmenter.Segment(images);
        int pixels = (int)(images.shape[2] * images.shape[3]);
        var maps = labels.ToDictionary(p => p.Key, p => p.Value.to(ScalarType.Int32).contiguous().data<int>().ToArray());
        foreach (var map in labels.Values) map.Dispose();
        return [.. Enumerable.Range(0, count).Select(i => new GeneratedSample(i, GanSampling.ToImage(images, i),
            maps.ToDictionary(p => p.Key, p => p.Value[(i * pixels)..((i + 1) * pixels)])))];
    }
}
