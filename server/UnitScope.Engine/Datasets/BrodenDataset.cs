using System.Buffers.Binary;
using System.Collections.ObjectModel;
using System.Security.Cryptography;
using System.Text;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Datasets;

/// <summary>A category as category.csv lists it: label numbers <paramref name="First"/>..<paramref name="Last"/>
/// (0 when the file leaves them empty), <paramref name="Count"/> labels, <paramref name="Frequency"/> images.</summary>
public sealed record BrodenCategory(string Name, int First, int Last, int Count, int Frequency);

/// <summary>A label's statistics within one category (its c_&lt;category&gt;.csv row): the dense
/// <paramref name="Code"/>, the number of images where it appears in that category, and its pixel
/// coverage in whole images (the sum over images of the fraction of the image it covers).</summary>
public readonly record struct BrodenCategoryStats(int Code, int Frequency, double Coverage);

/// <summary>A label.csv row with its per-category statistics from the c_*.csv files.</summary>
public sealed record BrodenLabel(
    int Number,
    string Name,
    int Frequency,
    double Coverage,
    IReadOnlyList<string> Synonyms,
    IReadOnlyDictionary<string, BrodenCategoryStats> ByCategory);

/// <summary>An index.csv row. <see cref="PixelFiles"/> are paths relative to images/, by category (several
/// per category when labels overlap: dominant first); <see cref="ImageLabels"/> are whole-image labels.</summary>
public sealed record BrodenEntry(
    int Line,
    string Image,
    string Split,
    int ImageHeight,
    int ImageWidth,
    int MaskHeight,
    int MaskWidth,
    IReadOnlyDictionary<string, IReadOnlyList<string>> PixelFiles,
    IReadOnlyDictionary<string, IReadOnlyList<int>> ImageLabels);

/// <summary>
/// A dataset in Broden's on-disk format (Bau et al., "Network Dissection", 2017; read as NetDissect-Lite's
/// <c>loader/data_loader.py</c> reads it). The folder holds:
/// <list type="bullet">
/// <item><c>index.csv</c>: <c>image,split,ih,iw,sh,sw</c> then one column per category. <c>image</c> is the
/// image's path under <c>images/</c>; <c>ih×iw</c> its size, <c>sh×sw</c> its masks' size (Broden's masks are
/// often half the image's size). A category field holds 0 or more ';'-separated entries: a whole number is an
/// image-level label (e.g. scene, or DTD's textures), anything else a segmentation PNG under <c>images/</c>
/// whose pixels hold label numbers as <c>R + 256·G</c>; several PNGs are several overlapping layers.</item>
/// <item><c>category.csv</c>: <c>name,first,last,count,frequency</c>, one row per category, in order.</item>
/// <item><c>label.csv</c>: <c>number,name,category,frequency,coverage,syns</c>; <c>category</c> lists the
/// categories the label appears in with its image count in each (<c>color(289);object(3)</c>), <c>syns</c>
/// ';'-separated synonyms. Numbers are unique; 0 means "no label" and is not a concept.</item>
/// <item><c>c_&lt;category&gt;.csv</c> per category: <c>code,number,name,frequency,coverage</c>, a dense
/// renumbering of the category's labels with their statistics within that category.</item>
/// </list>
/// A label's primary category (<see cref="Concept.Category"/>) follows NetDissect-Lite: the category where
/// its coverage (from c_*.csv) is largest, ties going to the later category in category.csv; a label that no
/// c_*.csv lists takes the first category its label.csv row names (else the last category).
/// <para>Categories listed in category.csv are read; other index.csv columns are ignored. Whether every image
/// and mask exists is checked only when it is loaded; <see cref="Load"/> also checks that the files have the
/// sizes index.csv gives and that every label is a known one.</para>
/// <para><see cref="ContentHash"/> is SHA-256 over index.csv, label.csv, category.csv and the c_*.csv of each
/// category (ordinal name order), each as its UTF-8 name, a 0 byte, its length (int64 little-endian) and its bytes. The images and masks are
/// <b>not</b> hashed (a 60 000-image dataset would take minutes): replacing an image in place without
/// touching index.csv keeps the hash.</para>
/// Immutable after <see cref="Open"/>; <see cref="Load"/> is safe from several threads.
/// </summary>
public sealed class BrodenDataset : ISegmentationDataset
{
    static readonly string[] MetaColumns = ["image", "split", "ih", "iw", "sh", "sw"];
    const int MaxSide = 1 << 15;

    readonly BrodenEntry[] _entries;
    readonly string _imagesFolder;

    BrodenDataset(string root, string hash, IReadOnlyList<BrodenCategory> categories, IReadOnlyList<Concept> concepts,
        IReadOnlyList<BrodenLabel> labels, BrodenEntry[] entries)
    {
        Root = root;
        ContentHash = hash;
        CategoryInfo = categories;
        Categories = categories.Select(c => c.Name).ToArray();
        Concepts = concepts;
        Labels = labels;
        MaxConceptId = labels.Count == 0 ? 0 : labels.Max(l => l.Number);
        _entries = entries;
        Entries = new ReadOnlyCollection<BrodenEntry>(entries);
        _imagesFolder = Path.Combine(root, "images");
    }

    public string Root { get; }
    public string ContentHash { get; }
    public IReadOnlyList<string> Categories { get; }
    public IReadOnlyList<Concept> Concepts { get; }
    public int MaxConceptId { get; }
    public int Count => _entries.Length;

    /// <summary>category.csv's rows.</summary>
    public IReadOnlyList<BrodenCategory> CategoryInfo { get; }

    /// <summary>label.csv's rows (number ≥ 1), ordered by number, with their c_*.csv statistics.</summary>
    public IReadOnlyList<BrodenLabel> Labels { get; }

    /// <summary>index.csv's rows, in file order (<see cref="Load"/>'s index).</summary>
    public IReadOnlyList<BrodenEntry> Entries { get; }

    /// <summary>Reads the folder's index and label files (not the images).</summary>
    /// <exception cref="UnitScopeException">FileNotFound when the folder or one of its CSV files is missing;
    /// InvalidArgument naming the file and line of a malformed row, a duplicate label number, a label number
    /// that label.csv does not list, or a mask path outside images/.</exception>
    public static BrodenDataset Open(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
            throw new UnitScopeException(EngineErrorKind.FileNotFound, $"Broden dataset folder not found: '{root}'.");

        string indexPath = Path.Combine(root, "index.csv");
        string labelPath = Path.Combine(root, "label.csv");
        string categoryPath = Path.Combine(root, "category.csv");
        byte[] indexBytes = BrodenCsv.ReadBytes(indexPath);
        byte[] labelBytes = BrodenCsv.ReadBytes(labelPath);
        byte[] categoryBytes = BrodenCsv.ReadBytes(categoryPath);

        var categories = ReadCategories(BrodenCsv.Read(categoryPath, categoryBytes));
        var hashed = new List<(string Name, byte[] Bytes)>
        {
            ("index.csv", indexBytes), ("label.csv", labelBytes), ("category.csv", categoryBytes),
        };
        var perCategory = new Dictionary<string, Dictionary<int, BrodenCategoryStats>>(StringComparer.Ordinal);
        foreach (var category in categories.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            string name = $"c_{category.Name}.csv";
            string path = Path.Combine(root, name);
            byte[] bytes = BrodenCsv.ReadBytes(path);
            hashed.Add((name, bytes));
            perCategory[category.Name] = ReadCategoryMap(BrodenCsv.Read(path, bytes));
        }

        var (labels, labelCategoryNames) = ReadLabels(BrodenCsv.Read(labelPath, labelBytes), perCategory);
        var known = labels.Select(l => l.Number).ToHashSet();
        foreach (var (category, map) in perCategory)
            foreach (int number in map.Keys)
                if (!known.Contains(number))
                    throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                        $"'{Path.Combine(root, $"c_{category}.csv")}' lists label {number}, which label.csv does not.");

        var concepts = labels.Select(l => new Concept(l.Number, l.Name,
            PrimaryCategory(l, categories, labelCategoryNames[l.Number]))).ToArray();
        int maxId = labels.Count == 0 ? 0 : labels.Max(l => l.Number);
        var entries = ReadIndex(BrodenCsv.Read(indexPath, indexBytes), categories, known, maxId);

        return new BrodenDataset(root, Hash(hashed), categories, concepts, labels, entries);
    }

    /// <summary>The split (train, val, …) of image <paramref name="index"/>.</summary>
    public string Split(int index) => Entry(index).Split;

    public ProbeSample Load(int index)
    {
        var entry = Entry(index);
        string where = $"(index.csv line {entry.Line})";
        string imagePath = Path.Combine(_imagesFolder, entry.Image);
        RgbImage image;
        try
        {
            image = ImageFile.Load(imagePath);
        }
        catch (UnitScopeException e)
        {
            throw new UnitScopeException(e.Kind, $"{e.Message} {where}", e);
        }
        if (image.Width != entry.ImageWidth || image.Height != entry.ImageHeight)
            throw new UnitScopeException(EngineErrorKind.BadImage,
                $"Image '{imagePath}' is {image.Width}x{image.Height} but index.csv line {entry.Line} says {entry.ImageWidth}x{entry.ImageHeight} (iw x ih).");

        var pixelLabels = new Dictionary<string, IReadOnlyList<int[]>>(StringComparer.Ordinal);
        foreach (var (category, files) in entry.PixelFiles)
        {
            var layers = new int[files.Count][];
            for (int i = 0; i < files.Count; i++)
                layers[i] = LoadMask(Path.Combine(_imagesFolder, files[i]), entry, where);
            pixelLabels[category] = layers;
        }
        return new ProbeSample(index, imagePath, image, entry.MaskHeight, entry.MaskWidth, pixelLabels, entry.ImageLabels);
    }

    BrodenEntry Entry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _entries.Length);
        return _entries[index];
    }

    int[] LoadMask(string path, BrodenEntry entry, string where)
    {
        LabelMaskFile.Mask mask;
        try
        {
            mask = LabelMaskFile.Read(path);
        }
        catch (UnitScopeException e)
        {
            throw new UnitScopeException(e.Kind, $"{e.Message} {where}", e);
        }
        if (mask.Width != entry.MaskWidth || mask.Height != entry.MaskHeight)
            throw new UnitScopeException(EngineErrorKind.BadImage,
                $"Segmentation mask '{path}' is {mask.Width}x{mask.Height} but index.csv line {entry.Line} says {entry.MaskWidth}x{entry.MaskHeight} (sw x sh).");
        foreach (int label in mask.Labels)
            if (label > MaxConceptId)
                throw new UnitScopeException(EngineErrorKind.BadImage,
                    $"Segmentation mask '{path}' {where} holds label {label}, but label.csv's largest number is {MaxConceptId}.");
        return mask.Labels;
    }

    static List<BrodenCategory> ReadCategories(BrodenCsv.Table table)
    {
        int name = table.RequireColumn("name");
        int first = table.Column("first"), last = table.Column("last"), count = table.Column("count"), frequency = table.Column("frequency");
        var result = new List<BrodenCategory>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in table.Rows)
        {
            string n = row.Fields[name];
            if (n.Length == 0 || n.AsSpan().IndexOfAny("/\\") >= 0 || MetaColumns.Contains(n))
                throw table.Bad(row, $"'{n}' is not a usable category name");
            if (!seen.Add(n))
                throw table.Bad(row, $"category '{n}' is listed twice");
            result.Add(new BrodenCategory(n, Optional(table, row, first), Optional(table, row, last),
                Optional(table, row, count), Optional(table, row, frequency)));
        }
        if (result.Count == 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"'{table.Path}' lists no categories.");
        return result;
    }

    static int Optional(BrodenCsv.Table table, BrodenCsv.Row row, int column) =>
        column < 0 || row.Fields[column].Length == 0 ? 0 : table.Int(row, column, 0);

    static Dictionary<int, BrodenCategoryStats> ReadCategoryMap(BrodenCsv.Table table)
    {
        int code = table.RequireColumn("code"), number = table.RequireColumn("number");
        int frequency = table.Column("frequency"), coverage = table.Column("coverage");
        var result = new Dictionary<int, BrodenCategoryStats>();
        var codes = new HashSet<int>();
        foreach (var row in table.Rows)
        {
            int c = table.Int(row, code, 0), n = table.Int(row, number, 0);
            if (n == 0)
                continue; // the "no label" row some files carry
            if (!codes.Add(c))
                throw table.Bad(row, $"code {c} is listed twice");
            if (result.ContainsKey(n))
                throw table.Bad(row, $"label {n} is listed twice");
            result[n] = new BrodenCategoryStats(c, Optional(table, row, frequency),
                coverage < 0 ? 0 : table.Number(row, coverage));
        }
        return result;
    }

    static (List<BrodenLabel>, Dictionary<int, string[]>) ReadLabels(BrodenCsv.Table table,
        Dictionary<string, Dictionary<int, BrodenCategoryStats>> perCategory)
    {
        int number = table.RequireColumn("number"), name = table.RequireColumn("name");
        int category = table.Column("category"), frequency = table.Column("frequency");
        int coverage = table.Column("coverage"), syns = table.Column("syns");
        var labels = new List<BrodenLabel>();
        var named = new Dictionary<int, string[]>();
        foreach (var row in table.Rows)
        {
            int n = table.Int(row, number, 0);
            if (n == 0)
                continue;
            if (named.ContainsKey(n))
                throw table.Bad(row, $"label number {n} is listed twice");
            named[n] = category < 0 ? [] : ParseCategoryField(table, row, row.Fields[category]);
            var byCategory = new Dictionary<string, BrodenCategoryStats>(StringComparer.Ordinal);
            foreach (var (cat, map) in perCategory)
                if (map.TryGetValue(n, out var stats))
                    byCategory[cat] = stats;
            labels.Add(new BrodenLabel(n, row.Fields[name], Optional(table, row, frequency),
                coverage < 0 ? 0 : table.Number(row, coverage),
                syns < 0 ? [] : row.Fields[syns].Split(';', StringSplitOptions.RemoveEmptyEntries),
                byCategory));
        }
        labels.Sort((a, b) => a.Number.CompareTo(b.Number));
        return (labels, named);
    }

    /// <summary>"color(289);object(3)" → ["color", "object"].</summary>
    static string[] ParseCategoryField(BrodenCsv.Table table, BrodenCsv.Row row, string field)
    {
        var names = new List<string>();
        foreach (string part in field.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int open = part.IndexOf('(');
            if (open <= 0 || !part.EndsWith(')'))
                throw table.Bad(row, $"category entry '{part}' is not of the form name(count)");
            names.Add(part[..open]);
        }
        return [.. names];
    }

    static string PrimaryCategory(BrodenLabel label, IReadOnlyList<BrodenCategory> categories, string[] named)
    {
        int best = -1;
        double bestCoverage = 0;
        for (int i = 0; i < categories.Count; i++)
        {
            if (!label.ByCategory.TryGetValue(categories[i].Name, out var stats))
                continue;
            if (best < 0 || stats.Coverage >= bestCoverage)
            {
                best = i;
                bestCoverage = stats.Coverage;
            }
        }
        if (best >= 0)
            return categories[best].Name;
        return named.FirstOrDefault(n => categories.Any(c => c.Name == n)) ?? categories[^1].Name;
    }

    static BrodenEntry[] ReadIndex(BrodenCsv.Table table, IReadOnlyList<BrodenCategory> categories, HashSet<int> known, int maxId)
    {
        int image = table.RequireColumn("image"), split = table.RequireColumn("split");
        int ih = table.RequireColumn("ih"), iw = table.RequireColumn("iw");
        int sh = table.RequireColumn("sh"), sw = table.RequireColumn("sw");
        var columns = categories.Select(c => (c.Name, Column: table.Column(c.Name))).Where(c => c.Column >= 0).ToArray();
        var entries = new BrodenEntry[table.Rows.Count];
        for (int r = 0; r < entries.Length; r++)
        {
            var row = table.Rows[r];
            string imageName = row.Fields[image];
            if (imageName.Length == 0)
                throw table.Bad(row, "'image' is empty");
            CheckRelative(table, row, imageName);
            var pixelFiles = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            var imageLabels = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
            foreach (var (name, column) in columns)
            {
                var files = new List<string>();
                var ints = new List<int>();
                foreach (string item in row.Fields[column].Split(';', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (item.All(char.IsAsciiDigit))
                    {
                        if (!int.TryParse(item, out int label) || label > maxId || (label > 0 && !known.Contains(label)))
                            throw table.Bad(row, $"'{name}' names label {item}, which label.csv does not list");
                        if (label > 0)
                            ints.Add(label);
                    }
                    else
                    {
                        CheckRelative(table, row, item);
                        files.Add(item);
                    }
                }
                if (files.Count > 0) pixelFiles[name] = files;
                if (ints.Count > 0) imageLabels[name] = ints;
            }
            entries[r] = new BrodenEntry(row.Line, imageName, row.Fields[split],
                table.Int(row, ih, 1, MaxSide), table.Int(row, iw, 1, MaxSide),
                table.Int(row, sh, 1, MaxSide), table.Int(row, sw, 1, MaxSide),
                pixelFiles, imageLabels);
        }
        return entries;
    }

    static void CheckRelative(BrodenCsv.Table table, BrodenCsv.Row row, string path)
    {
        if (Path.IsPathRooted(path) || path.Split('/', '\\').Contains(".."))
            throw table.Bad(row, $"'{path}' must be a path inside images/");
    }

    static string Hash(List<(string Name, byte[] Bytes)> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[8];
        foreach (var (name, bytes) in files)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData([0]);
            BinaryPrimitives.WriteInt64LittleEndian(length, bytes.LongLength);
            sha.AppendData(length);
            sha.AppendData(bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
