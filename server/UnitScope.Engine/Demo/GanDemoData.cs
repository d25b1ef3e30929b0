using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Demo;

/// <summary>
/// The probe scenes both GAN demo models learn from, decoded once: images, and per segmented category each pixel's
/// channel within the category's group (0 none; where a category has several maps, the last labelled one wins).
/// </summary>
internal sealed class GanDemoData
{
    GanDemoData(BrodenDataset probe, RgbImage[] images, SegmenterLabels labels, Dictionary<string, long[][]> targets, int training)
    {
        Probe = probe;
        Images = images;
        Labels = labels;
        Targets = targets;
        Training = training;
    }

    public BrodenDataset Probe { get; }
    public RgbImage[] Images { get; }
    public SegmenterLabels Labels { get; }
    /// <summary>Per category, per image, H × W channel indices within the category's group.</summary>
    public Dictionary<string, long[][]> Targets { get; }
    /// <summary>Images [0, Training) train; the rest are held back.</summary>
    public int Training { get; }
    public int Side => Images[0].Height;

    public static GanDemoData Load(string cacheDirectory, GanDemoScenes scenes, IProgress<int>? progress, CancellationToken ct)
    {
        var probe = ProbeSet.EnsureBuiltIn(cacheDirectory,
            new ProbeSetOptions { Count = scenes.Images, ImageSize = scenes.ImageSize, Seed = scenes.Seed }, progress, ct);
        var pixelCategories = probe.Categories.Where(c => c != "scene").ToList();
        var labels = SegmenterLabels.For([.. pixelCategories.Select(c =>
            (c, (IReadOnlyList<string>)[.. probe.Concepts.Where(k => k.Category == c).Select(k => k.Name)]))]);
        var channelOf = pixelCategories.ToDictionary(c => c, c => probe.Concepts.Where(k => k.Category == c)
            .Select((k, i) => (k.Id, Channel: i + 1)).ToDictionary(p => p.Id, p => (long)p.Channel));
        var images = new RgbImage[probe.Count];
        var targets = pixelCategories.ToDictionary(c => c, _ => new long[probe.Count][]);
        Parallel.For(0, probe.Count, ParallelWork.Options(ct), i =>
        {
            var sample = probe.Load(i);
            images[i] = sample.Image;
            foreach (string category in pixelCategories)
            {
                var target = new long[sample.MaskHeight * sample.MaskWidth];
                foreach (var map in sample.PixelLabels.TryGetValue(category, out var maps) ? maps : [])
                    for (int p = 0; p < target.Length; p++)
                        if (map[p] != 0 && channelOf[category].TryGetValue(map[p], out long channel))
                            target[p] = channel;
                targets[category][i] = target;
            }
        });
        int training = probe.Count - (int)(probe.Count * scenes.HeldOutFraction);
        return new GanDemoData(probe, images, labels, targets, training);
    }

    /// <summary>Images <paramref name="indices"/> as [N, 3, H, W] in [0, 1].</summary>
    public Tensor UnitBatch(IReadOnlyList<int> indices) =>
        ImageTensor.ToBatch([.. indices.Select(i => Images[i])], new InputSpec(3, Side, Side, [0, 0, 0], [1, 1, 1]));

    /// <summary>A category's targets of <paramref name="indices"/> as [N, H, W] int64.</summary>
    public Tensor TargetBatch(string category, IReadOnlyList<int> indices) =>
        tensor(indices.SelectMany(i => Targets[category][i]).ToArray()).view(indices.Count, Side, Side);
}
