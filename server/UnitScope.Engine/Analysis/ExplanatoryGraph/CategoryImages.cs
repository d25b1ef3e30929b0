using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>The images of one category of an evaluation set (a class folder of an image folder, a probe-set scene):
/// what the explanatory graph is mined over.</summary>
public static class CategoryImages
{
    /// <summary>The images of class <paramref name="className"/> (its name as the set spells it, any case), or all
    /// of them when it is null; the content hash includes the class.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming --class and the set's classes when it has no such class.</exception>
    public static IImageSet Of(IEvaluationSet set, string? className)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (className is null) return ImageSet.FromEvaluationSet(set);
        int index = -1;
        for (int c = 0; c < set.ClassNames.Count && index < 0; c++)
            if (string.Equals(set.ClassNames[c], className.Trim(), StringComparison.OrdinalIgnoreCase)) index = c;
        if (index < 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The class (--class) '{className}' is not one of {set.Name}'s classes: {string.Join(", ", set.ClassNames.Take(30))}" +
                (set.ClassNames.Count > 30 ? $", … ({set.ClassNames.Count} in all)." : "."));
        int[] members = [.. Enumerable.Range(0, set.Count).Where(i => set.ClassOf(i) == index)];
        return new ClassImages(ImageSet.FromEvaluationSet(set), set.ClassNames[index], members);
    }

    sealed class ClassImages(IImageSet all, string className, int[] members) : IImageSet
    {
        public string Name => $"{all.Name} (class {className})";
        public string ContentHash { get; } = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{all.ContentHash}\nclass:{className.Length}:{className}\n")));
        public int Count => members.Length;
        public string PathOf(int index) => all.PathOf(members[index]);
        public RgbImage Load(int index) => all.Load(members[index]);
    }
}
