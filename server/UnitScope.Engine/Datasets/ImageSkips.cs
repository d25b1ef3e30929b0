using System.Collections.Concurrent;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Datasets;

/// <summary>An image of a set that could not be read (truncated, not an image, gone) and was left out of a run.</summary>
/// <param name="Index">Its index in the set.</param>
/// <param name="Image">Its file (or what the set calls it).</param>
/// <param name="Problem">Why, as the decoder said it (naming the file).</param>
public sealed record SkippedImage(int Index, string Image, string Problem);

/// <summary>
/// Reads a set's images for a run that goes on without the ones that cannot be read: one bad file among
/// thousands must not cost the user the run. Each unreadable image is recorded once, by index, with the
/// decoder's message; later reads of it fail at once without decoding again. Only an unreadable image
/// (BadImage, FileNotFound) is skipped; any other error still ends the run. Safe from several threads.
/// </summary>
public sealed class ImageSkips
{
    readonly ConcurrentDictionary<int, SkippedImage> _skipped = new();

    /// <summary>Image <paramref name="index"/> of <paramref name="data"/>, or null (recorded) when it cannot be read.</summary>
    public RgbImage? TryLoad(IEvaluationSet data, int index) =>
        TryLoad(index, i => data.Load(i).Image, data.ImageName);

    /// <summary>Probe image <paramref name="index"/> of <paramref name="data"/> with its labels, or null (recorded) when
    /// the image or one of its label files cannot be read.</summary>
    public ProbeSample? TryLoad(ISegmentationDataset data, int index) =>
        TryLoad(index, data.Load, i => $"probe image {i}");

    /// <summary>What <paramref name="load"/> reads for <paramref name="index"/>, or null (recorded) when it cannot be read.</summary>
    public T? TryLoad<T>(int index, Func<int, T> load, Func<int, string> name) where T : class
    {
        if (_skipped.ContainsKey(index)) return null;
        try
        {
            return load(index);
        }
        catch (UnitScopeException e) when (IsUnreadable(e))
        {
            _skipped.TryAdd(index, new SkippedImage(index, name(index), e.Message));
            return null;
        }
    }

    public bool IsSkipped(int index) => _skipped.ContainsKey(index);

    public int Count => _skipped.Count;

    /// <summary>The skipped images, by index.</summary>
    public IReadOnlyList<SkippedImage> List => [.. _skipped.Values.OrderBy(s => s.Index)];

    static bool IsUnreadable(UnitScopeException e) => e.Kind is EngineErrorKind.BadImage or EngineErrorKind.FileNotFound;
}
