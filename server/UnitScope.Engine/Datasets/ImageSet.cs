using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Datasets;

/// <summary>
/// Images without labels, for analyses that only look at what the model does on them (a unit's strongest
/// activations): a probe set or Broden folder (its images, no masks decoded), or an image folder.
/// Implementations are safe to read from several threads.
/// </summary>
public interface IImageSet
{
    /// <summary>What to call the set in messages and reports.</summary>
    string Name { get; }

    /// <summary>Identity of the set's content and sizing, lowercase hex: part of every cache key.</summary>
    string ContentHash { get; }

    int Count { get; }

    /// <summary>The file image <paramref name="index"/> comes from.</summary>
    string PathOf(int index);

    /// <summary>Decodes image <paramref name="index"/> (sized as the set sizes its images).</summary>
    /// <exception cref="UnitScopeException">FileNotFound or BadImage naming the file.</exception>
    RgbImage Load(int index);
}

/// <summary>Image sets over the datasets UnitScope reads.</summary>
public static class ImageSet
{
    /// <summary>A Broden-format dataset's images (the built-in probe set is one), in index.csv order, as decoded.</summary>
    public static IImageSet FromBroden(BrodenDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new BrodenImages(dataset);
    }

    /// <summary>An evaluation set's images (an image folder: sized by its options), in the set's order.</summary>
    public static IImageSet FromEvaluationSet(IEvaluationSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return new EvaluationImages(set);
    }

    /// <summary>
    /// At most <paramref name="maxImages"/> images of <paramref name="set"/>, evenly spaced over it (image
    /// ⌊i · Count / maxImages⌋ for i = 0 …); the set itself when it has no more. Its content hash includes the limit.
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument when <paramref name="maxImages"/> is below 1.</exception>
    public static IImageSet Limit(IImageSet set, int maxImages)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (maxImages < 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The maximum number of images must be at least 1, not {maxImages}.");
        return maxImages >= set.Count ? set : new LimitedImages(set, maxImages);
    }

    sealed class LimitedImages(IImageSet set, int count) : IImageSet
    {
        public string Name => set.Name;
        public string ContentHash { get; } = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{set.ContentHash}\nlimit:{count}\n")));
        public int Count => count;
        int Source(int index) => (int)((long)index * set.Count / count);
        public string PathOf(int index) => set.PathOf(Source(index));
        public RgbImage Load(int index) => set.Load(Source(index));
    }

    sealed class BrodenImages(BrodenDataset dataset) : IImageSet
    {
        public string Name => dataset.Root;
        public string ContentHash => dataset.ContentHash;
        public int Count => dataset.Count;
        public string PathOf(int index) => Path.Combine(dataset.Root, "images", dataset.Entries[index].Image);
        public RgbImage Load(int index) => ImageFile.Load(PathOf(index));
    }

    sealed class EvaluationImages(IEvaluationSet set) : IImageSet
    {
        readonly string[]? _paths = (set as ImageFolderSet)?.ImagePaths.ToArray();

        public string Name => set.Name;
        public string ContentHash => set.ContentHash;
        public int Count => set.Count;
        public string PathOf(int index) => _paths?[index] ?? set.Load(index).ImagePath;
        public RgbImage Load(int index) => set.Load(index).Image;
    }
}
