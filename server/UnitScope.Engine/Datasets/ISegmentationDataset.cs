using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Datasets;

/// <summary>
/// A labelled concept, as Broden numbers it: <paramref name="Id"/> is the label number (1-based;
/// 0 means "no label" in segmentation maps), <paramref name="Category"/> its primary category
/// (color, material, texture, object, part, scene, …).
/// </summary>
public sealed record Concept(int Id, string Name, string Category);

/// <summary>
/// One probe image with its labels at mask resolution (<see cref="MaskHeight"/> × <see cref="MaskWidth"/>,
/// which may differ from the image's size: Broden's masks are often half the image's).
/// </summary>
public sealed record ProbeSample(
    int Index,
    string ImagePath,
    RgbImage Image,
    int MaskHeight,
    int MaskWidth,
    /// <summary>Pixel-level label maps by category; each array holds MaskHeight × MaskWidth label
    /// ids, row-major, 0 = unlabelled. A category may have several overlapping maps.</summary>
    IReadOnlyDictionary<string, IReadOnlyList<int[]>> PixelLabels,
    /// <summary>Image-level labels by category (e.g. scene): each applies to every pixel.</summary>
    IReadOnlyDictionary<string, IReadOnlyList<int>> ImageLabels);

/// <summary>
/// A probe dataset with pixel-exact concept labels: the built-in generated one or Broden, both read
/// from Broden's on-disk format. Implementations are safe to read from several threads.
/// </summary>
public interface ISegmentationDataset
{
    /// <summary>The dataset's folder.</summary>
    string Root { get; }

    /// <summary>Identity of the dataset's content (index and label files), lowercase hex: part of every cache key.</summary>
    string ContentHash { get; }

    /// <summary>Category names in the dataset's order (category.csv).</summary>
    IReadOnlyList<string> Categories { get; }

    /// <summary>Every concept, ordered by <see cref="Concept.Id"/>.</summary>
    IReadOnlyList<Concept> Concepts { get; }

    /// <summary>The largest concept id, for sizing tally arrays.</summary>
    int MaxConceptId { get; }

    int Count { get; }

    /// <summary>Decodes image <paramref name="index"/> and its labels.</summary>
    /// <exception cref="UnitScopeException">FileNotFound or BadImage naming the file.</exception>
    ProbeSample Load(int index);
}
