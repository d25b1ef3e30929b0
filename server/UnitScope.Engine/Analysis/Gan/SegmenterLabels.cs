using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>One category's block of a segmenter's output channels: <see cref="First"/> is its "none" channel,
/// the next <see cref="ConceptIds"/>.Length its concepts, in order.</summary>
public sealed record SegmenterGroup(string Category, int First, int[] ConceptIds)
{
    public int Channels => ConceptIds.Length + 1;
}

/// <summary>
/// What a segmenter's output channels mean, from <c>NAME.segments.txt</c> beside its checkpoint: one line per output
/// channel, <c>category&lt;TAB&gt;concept</c>, a category's channels together and first among them its "none" channel
/// (concept <c>-</c>). Per pixel and category, the segmented concept is the argmax over the category's channels, so a
/// pixel carries one concept of each category (an object, a part, a material, a colour), as the probe set labels it.
/// Concepts are numbered 1, 2, … in file order (0: none), as Broden numbers labels.
/// </summary>
public sealed class SegmenterLabels
{
    public const string None = "-";

    SegmenterLabels(IReadOnlyList<SegmenterGroup> groups, IReadOnlyList<Concept> concepts)
    {
        Groups = groups;
        Concepts = concepts;
    }

    public IReadOnlyList<SegmenterGroup> Groups { get; }
    public IReadOnlyList<Concept> Concepts { get; }
    public int Channels => Groups.Sum(g => g.Channels);

    public static string PathFor(string checkpoint) => Path.ChangeExtension(checkpoint, ".segments.txt");

    /// <summary>The labels for categories and their concepts, in order.</summary>
    public static SegmenterLabels For(IReadOnlyList<(string Category, IReadOnlyList<string> Concepts)> categories) =>
        Parse([.. categories.SelectMany(c => new[] { $"{c.Category}\t{None}" }.Concat(c.Concepts.Select(n => $"{c.Category}\t{n}")))], "labels");

    public IEnumerable<string> Lines() =>
        Groups.SelectMany(g => new[] { $"{g.Category}\t{None}" }.Concat(g.ConceptIds.Select(id => $"{g.Category}\t{Concepts[id - 1].Name}")));

    /// <exception cref="UnitScopeException">FileNotFound, or InvalidArgument naming the line at fault.</exception>
    public static SegmenterLabels Read(string path)
    {
        string missing = $"The segmenter's label file {path} is missing: one line per output channel, 'category<TAB>concept', " +
            $"each category's channels together, its first '{None}' (none).";
        var text = UserFile.Read(path, File.ReadAllLines, missing, reason => $"The segmenter's label file {path} cannot be read: {reason}");
        return Parse([.. text.Where(l => l.Trim().Length > 0)], path);
    }

    static SegmenterLabels Parse(IReadOnlyList<string> lines, string source)
    {
        var groups = new List<SegmenterGroup>();
        var concepts = new List<Concept>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? category = null;
        int first = 0;
        var ids = new List<int>();
        void Close()
        {
            if (category is null) return;
            if (ids.Count == 0)
                throw Bad(source, $"category '{category}' has a none channel and no concept");
            groups.Add(new SegmenterGroup(category, first, [.. ids]));
            ids.Clear();
        }
        for (int i = 0; i < lines.Count; i++)
        {
            var parts = lines[i].Split('\t');
            if (parts.Length != 2 || parts[0].Trim().Length == 0 || parts[1].Trim().Length == 0)
                throw Bad(source, $"line {i + 1} is not 'category<TAB>concept': '{Echo(lines[i])}'");
            string c = parts[0].Trim(), name = parts[1].Trim();
            if (c != category)
            {
                Close();
                if (groups.Any(g => g.Category == c))
                    throw Bad(source, $"line {i + 1}: category '{Echo(c)}' appears in two places; its channels must be together");
                if (name != None)
                    throw Bad(source, $"line {i + 1}: category '{Echo(c)}' must start with its none channel '{None}'");
                category = c;
                first = i;
                continue;
            }
            if (name == None)
                throw Bad(source, $"line {i + 1}: category '{Echo(c)}' has a second none channel");
            if (!seen.Add(name))
                throw Bad(source, $"line {i + 1}: concept '{Echo(name)}' is named twice");
            concepts.Add(new Concept(concepts.Count + 1, name, c));
            ids.Add(concepts.Count);
        }
        Close();
        if (groups.Count == 0)
            throw Bad(source, "it names no channel");
        return new SegmenterLabels(groups, concepts);
    }

    static string Echo(string s) => s.Length <= 60 ? s : s[..60] + "…";

    static UnitScopeException Bad(string source, string what) =>
        new(EngineErrorKind.InvalidArgument, $"The segmenter's label file {source} is not valid: {what}.");
}
