using System.Security.Cryptography;
using System.Text;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Runtime;

namespace UnitScope.Engine.Datasets;

/// <summary>One labelled image of an evaluation set: the decoded image (already resized/cropped by
/// the set's own preprocessing, if it has any) and its class, an index into <see cref="IEvaluationSet.ClassNames"/>.</summary>
public sealed record EvaluationSample(int Index, string ImagePath, RgbImage Image, int ClassIndex);

/// <summary>
/// Images with one class label each, for measuring a classifier (ablation, single-unit statistics):
/// an image folder (<see cref="ImageFolderSet"/>) or a probe set's image-level labels
/// (<see cref="EvaluationSet.FromProbe"/>). Implementations are safe to read from several threads.
/// </summary>
public interface IEvaluationSet
{
    /// <summary>What to call the set in messages and reports (a folder path, "probe scenes").</summary>
    string Name { get; }

    /// <summary>Identity of the set's content and preprocessing, lowercase hex: part of every cache key.</summary>
    string ContentHash { get; }

    /// <summary>The set's classes, in the set's order (sorted folder names for an image folder).</summary>
    IReadOnlyList<string> ClassNames { get; }

    int Count { get; }

    /// <summary>The class of image <paramref name="index"/> without decoding it.</summary>
    int ClassOf(int index);

    /// <summary>Decodes image <paramref name="index"/>.</summary>
    /// <exception cref="UnitScopeException">FileNotFound or BadImage naming the file.</exception>
    EvaluationSample Load(int index);

    /// <summary>What to call image <paramref name="index"/> in messages without decoding it (its file, where it has one).</summary>
    string ImageName(int index) => $"image {index}";
}

/// <summary>Evaluation sets from other datasets, and how a set's classes map to a model's.</summary>
public static class EvaluationSet
{
    /// <summary>
    /// A probe set's image-level labels of <paramref name="category"/> (default "scene") as an
    /// evaluation set: its classes are that category's concepts in concept-id order (the order the
    /// demo model's classes have), and images without such a label are left out.
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument when the category has no concepts or no image carries one.</exception>
    public static IEvaluationSet FromProbe(ISegmentationDataset probe, string category = "scene", int? maxImages = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return new ProbeEvaluationSet(probe, category, maxImages);
    }

    /// <summary>
    /// At most <paramref name="maxImages"/> images of <paramref name="set"/>, evenly spaced over it (image
    /// ⌊i · Count / maxImages⌋ for i = 0 …), so every class keeps about its share; the set itself when it
    /// has no more. Its content hash includes the limit.
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument when <paramref name="maxImages"/> is below 1.</exception>
    public static IEvaluationSet Limit(IEvaluationSet set, int maxImages)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (maxImages < 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The maximum number of images must be at least 1, not {maxImages}.");
        return maxImages >= set.Count ? set : new LimitedSet(set, maxImages);
    }

    /// <summary>
    /// For each of the set's classes, the model's class it is: by name when the model has class names
    /// (names compared case-insensitively, with '_', '-' and ' ' treated alike), else (the model's names
    /// are the placeholders "class 0", "class 1", …) by index.
    /// </summary>
    /// <exception cref="UnitScopeException">ClassMismatch naming the set's classes that match none of the model's
    /// (with some of the model's names), or when, matched by index, the set has another number of classes than the
    /// model has outputs (sorted folder names only give a model's class indices when they are all its classes);
    /// InvalidArgument for a one-output model.</exception>
    public static int[] MapClasses(IEvaluationSet set, IReadOnlyList<string> modelClassNames)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(modelClassNames);
        var names = set.ClassNames;
        if (modelClassNames.Count == 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                "The model has one output: a score (a discriminator's real/fake, a regression), not class scores. Ablation and " +
                $"ranking measure how often {set.Name}'s images are classified right, which a one-output model does not do.");
        if (IsPlaceholders(modelClassNames))
        {
            if (names.Count != modelClassNames.Count)
                throw new UnitScopeException(EngineErrorKind.ClassMismatch,
                    $"{set.Name} has {names.Count} classes but the model has {modelClassNames.Count} outputs and no class names, " +
                    "so its classes cannot be matched to the outputs (by position only a set of all the model's classes can be). " +
                    "Give the model's class names (NAME.classes.txt, or \"classNames\" in NAME.unitscope.json), or evaluate on an " +
                    "image folder with one sub-folder per class, named after them.");
            return [.. Enumerable.Range(0, names.Count)];
        }
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = modelClassNames.Count - 1; i >= 0; i--)
            byName[Canonical(modelClassNames[i])] = i;
        var map = new int[names.Count];
        var missing = new List<string>();
        for (int c = 0; c < names.Count; c++)
        {
            if (byName.TryGetValue(Canonical(names[c]), out int m)) map[c] = m;
            else missing.Add(names[c]);
        }
        if (missing.Count > 0)
            throw new UnitScopeException(EngineErrorKind.ClassMismatch,
                $"{(missing.Count == names.Count ? "None" : $"{missing.Count} of {names.Count}")} of the classes of {set.Name} " +
                $"match the model's class names: {Shown(missing)} not among the model's {modelClassNames.Count} " +
                $"({Shown(modelClassNames)}). Name the class folders after the model's classes.");
        return map;
    }

    /// <summary>
    /// Null when <see cref="MapClasses"/> matches the set's classes to the model's by name; else (the model has no class
    /// names) a warning that they are matched by position, showing the first pairs, so a user whose model was trained
    /// with another class order sees it.
    /// </summary>
    public static string? MatchedByPosition(IEvaluationSet set, IReadOnlyList<string> modelClassNames)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(modelClassNames);
        if (!IsPlaceholders(modelClassNames)) return null;
        var names = set.ClassNames;
        string pairs = string.Join(", ", names.Take(4).Select((n, i) => $"'{n}' → output {i}")) + (names.Count > 4 ? ", …" : "");
        return $"The model has no class names, so the {names.Count} classes of {set.Name} are matched to its outputs by position " +
               $"(folder names sorted, as torchvision's ImageFolder sorts them): {pairs}. If it was trained with another class order, " +
               "give its class names (NAME.classes.txt, or \"classNames\" in NAME.unitscope.json) so they are matched by name.";
    }

    static bool IsPlaceholders(IReadOnlyList<string> modelClassNames) =>
        modelClassNames.Select((n, i) => n == $"class {i}").All(b => b);

    /// <summary>The set's class index for <paramref name="name"/>: a class name (as <see cref="MapClasses"/> compares
    /// names) or a number 0 … count − 1.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument listing the set's classes.</exception>
    public static int ResolveClass(IEvaluationSet set, string name)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(name);
        string wanted = Canonical(name);
        for (int i = 0; i < set.ClassNames.Count; i++)
            if (Canonical(set.ClassNames[i]) == wanted)
                return i;
        if (int.TryParse(name.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index)
            && index < set.ClassNames.Count)
            return index;
        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
            $"Class '{name}' is not one of the {set.ClassNames.Count} classes of {set.Name}: {Shown(set.ClassNames)}.");
    }

    static string Canonical(string name) => name.Trim().ToLowerInvariant().Replace('_', ' ').Replace('-', ' ');

    static string Shown(IReadOnlyList<string> names, int max = 8) =>
        string.Join(", ", names.Take(max).Select(n => $"'{n}'")) + (names.Count > max ? $", … ({names.Count - max} more)" : "");

    sealed class LimitedSet(IEvaluationSet inner, int count) : IEvaluationSet
    {
        public string Name => $"{inner.Name} ({count} of {inner.Count} images)";
        public string ContentHash { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"limit\n{inner.ContentHash}\n{count}\n")));
        public IReadOnlyList<string> ClassNames => inner.ClassNames;
        public int Count => count;
        public int ClassOf(int index) => inner.ClassOf(Source(index));
        public EvaluationSample Load(int index) => inner.Load(Source(index)) with { Index = index };
        public string ImageName(int index) => inner.ImageName(Source(index));
        int Source(int index) => (int)((long)index * inner.Count / count);
    }

    sealed class ProbeEvaluationSet : IEvaluationSet
    {
        readonly ISegmentationDataset _probe;
        readonly string _category;
        readonly int[] _images;     // probe indices of the images with a label of the category
        readonly int[] _classes;    // their class indices
        readonly Dictionary<int, int> _classOfConcept;

        public ProbeEvaluationSet(ISegmentationDataset probe, string category, int? maxImages)
        {
            _probe = probe;
            _category = category;
            var concepts = probe.Concepts.Where(c => c.Category == category).ToList();
            if (concepts.Count == 0)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"The probe set in {probe.Root} has no '{category}' labels to evaluate a classifier on.");
            ClassNames = [.. concepts.Select(c => c.Name)];
            _classOfConcept = concepts.Select((c, i) => (c.Id, i)).ToDictionary(p => p.Id, p => p.i);
            int limit = Math.Min(probe.Count, maxImages ?? int.MaxValue);
            var classes = new int[limit];
            // A Broden-format set lists image-level labels in its index: no image needs decoding.
            if (probe is BrodenDataset broden)
                for (int i = 0; i < limit; i++)
                    classes[i] = ClassOfLabels(broden.Entries[i].ImageLabels);
            else
                Parallel.For(0, limit, ParallelWork.Options(), i => classes[i] = ClassOfLabels(probe.Load(i).ImageLabels));
            _images = [.. Enumerable.Range(0, limit).Where(i => classes[i] >= 0)];
            _classes = [.. _images.Select(i => classes[i])];
            if (_images.Length == 0)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                    $"No image of the probe set in {probe.Root} has a '{category}' label.");
            Name = $"probe set {probe.Root} ({category} labels)";
            ContentHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
                $"probe-evaluation\n{probe.ContentHash}\n{category.Length}:{category}\n{limit}\n")));
        }

        public string Name { get; }
        public string ContentHash { get; }
        public IReadOnlyList<string> ClassNames { get; }
        public int Count => _images.Length;
        public int ClassOf(int index) => _classes[index];

        public EvaluationSample Load(int index)
        {
            var sample = _probe.Load(_images[index]);
            return new EvaluationSample(index, sample.ImagePath, sample.Image, _classes[index]);
        }

        int ClassOfLabels(IReadOnlyDictionary<string, IReadOnlyList<int>> imageLabels) =>
            imageLabels.TryGetValue(_category, out var labels)
                ? labels.Select(l => _classOfConcept.GetValueOrDefault(l, -1)).FirstOrDefault(c => c >= 0, -1)
                : -1;
    }
}
