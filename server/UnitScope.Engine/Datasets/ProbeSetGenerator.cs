using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;
using UnitScope.Engine.Datasets.Probe;
using UnitScope.Engine.Runtime;
using static UnitScope.Engine.Datasets.Probe.ProbeVocabulary;

namespace UnitScope.Engine.Datasets;

/// <summary>
/// Generates the built-in probe set: procedurally drawn scenes with pixel-exact labels, written in Broden's
/// format (see <see cref="BrodenDataset"/>) so the same loader reads it.
/// <para><b>Concepts</b> (label numbers 1–60, one category each, names unique):
/// color — Broden's 11 colour names (black, blue, brown, green, grey, orange, pink, purple, red, white,
/// yellow); object — sky, road, floor, sea, house, tree, car, person, ball, box, star, boat, fence, sun,
/// cloud; part — roof, wall, door, window (house), trunk, crown (tree), body, wheel, car-window (car), head,
/// torso, arm, leg (person), hull, sail, mast (boat); material — brick, wood, grass, water, metal, sand;
/// scene (image-level) — street, parking-lot, forest, garden, beach, playroom; texture — striped, chequered,
/// dotted, zigzagged, grid, noisy. Scenes are balanced (a seeded permutation deals them out) and told apart
/// by their content, not their colours: see <c>Probe/ProbeSceneBuilder.cs</c>.</para>
/// <para><b>Exactness</b>: nothing is antialiased; every pixel shows and is labelled with what covers its
/// centre (objects painted far to near, so an occluded object or part is not labelled there; a part's pixels
/// are always its object's). Every painted pixel has a colour label: paints, their shading and noise stay in
/// that colour's RGB box (the boxes are disjoint, see <c>Probe/ProbePalette.cs</c>), so the colour label is a
/// function of the pixel's RGB. Materials and textures label whole regions; a texture's two paints are of
/// different colours.</para>
/// <para><b>Files</b>: <c>images/probe/NNNNNN.png</c> (RGB PNG), masks <c>images/probe/NNNNNN_&lt;category&gt;.png</c>
/// (label = R + 256·G) for color, object, part, material and texture — a category with no label in an image
/// has no mask and an empty index field, as in Broden; the scene is an image-level number. Splits: one image in
/// five (per scene) is <c>val</c>, the rest <c>train</c>. label.csv/c_*.csv carry frequency (images) and coverage
/// (sum over images of the labelled fraction; a scene's coverage is its frequency); category.csv carries
/// first/last/count/frequency.</para>
/// <para><b>Determinism</b>: the same options give byte-identical files. Each image draws from its own
/// xoshiro256** stream seeded from (Seed, index), so images are generated in parallel in any order. Geometry
/// uses <see cref="Math.Sin"/>/<see cref="Math.Cos"/>, which .NET takes from the platform: another OS or CPU
/// may differ in the last bit and so, rarely, in a pixel on a shape's edge (and in the dataset's hash).
/// PNGs are encoded by Skia (a SkiaSharp upgrade may change the compressed bytes, not the pixels).</para>
/// </summary>
public static class ProbeSetGenerator
{
    /// <summary>Changes whenever the generator's output for given options changes (cache folders carry it).</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes the probe set into <paramref name="folder"/> (created if missing; it must be empty).</summary>
    /// <param name="progress">Receives the number of images written so far (not necessarily in order).</param>
    /// <exception cref="UnitScopeException">InvalidArgument for bad options or a folder that is not empty.</exception>
    /// <exception cref="OperationCanceledException">On cancellation; the folder is left incomplete.</exception>
    public static void Generate(string folder, ProbeSetOptions options, IProgress<int>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string root = Path.GetFullPath(folder);
        if (File.Exists(root) || (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any()))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The probe set folder '{root}' must be empty or absent.");
        Directory.CreateDirectory(Path.Combine(root, "images", "probe"));

        int count = options.Count, size = options.ImageSize, maskSize = options.EffectiveMaskSize;
        int[] deal = Deal(count, options.Seed);
        var stats = new ImageStats[count];
        int done = 0;
        Parallel.For(0, count, ParallelWork.Options(ct), i =>
        {
            stats[i] = MakeImage(root, i, options.Seed, Scenes[deal[i] % Scenes.Length], size, maskSize);
            int n = Interlocked.Increment(ref done);
            progress?.Report(n);
        });
        ct.ThrowIfCancellationRequested();

        var splits = deal.Select(d => d / Scenes.Length % 5 == 4 ? "val" : "train").ToArray();
        WriteCsvFiles(root, stats, splits, size, maskSize);
    }

    /// <summary>The file name (under images/) of image <paramref name="index"/>, and its masks with a suffix.</summary>
    internal static string ImageName(int index, string? category = null) =>
        category is null ? $"probe/{index:D6}.png" : $"probe/{index:D6}_{category}.png";

    /// <summary>A seeded permutation of 0..count-1: image i gets scene deal[i] % 6, split (deal[i] / 6) % 5.</summary>
    static int[] Deal(int count, int seed)
    {
        var rng = ProbeRandom.For(seed, -1, 0xDEA1);
        var deal = Enumerable.Range(0, count).ToArray();
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.Int(0, i + 1);
            (deal[i], deal[j]) = (deal[j], deal[i]);
        }
        return deal;
    }

    /// <summary>Per image: pixel counts per label of each pixel-level category, and the scene.</summary>
    sealed record ImageStats(int Scene, Dictionary<string, int[]> Counts);

    /// <summary>Draws, renders and writes image <paramref name="index"/> with its masks.</summary>
    internal static (ProbeScene Scene, byte[] Rgb, LabelMaps Labels) Render(int index, int seed, int scene, int size, int maskSize)
    {
        var rng = ProbeRandom.For(seed, index);
        var built = new ProbeSceneBuilder(rng, 1.0 / size).Build(scene);
        var rgb = new byte[size * size * 3];
        var image = new LabelMaps(size);
        ProbeRenderer.Render(built, size, rng.Seed32(), rgb, image);
        if (maskSize == size)
            return (built, rgb, image);
        var masks = new LabelMaps(maskSize);
        ProbeRenderer.RenderLabels(built, masks);
        return (built, rgb, masks);
    }

    static ImageStats MakeImage(string root, int index, int seed, int scene, int size, int maskSize)
    {
        var (_, rgb, labels) = Render(index, seed, scene, size, maskSize);
        string images = Path.Combine(root, "images");
        File.WriteAllBytes(Path.Combine(images, ImageName(index)), EncodeRgb(rgb, size));
        var counts = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (string category in PixelCategories)
        {
            int[] map = labels.Of(category);
            var c = new int[MaxLabel + 1];
            foreach (int label in map)
                c[label]++;
            counts[category] = c;
            if (c.AsSpan(1).ContainsAnyExcept(0))
                File.WriteAllBytes(Path.Combine(images, ImageName(index, category)), EncodeLabels(map, maskSize));
        }
        return new ImageStats(scene, counts);
    }

    internal static byte[] EncodeRgb(byte[] rgb, int size)
    {
        var rgba = new byte[size * size * 4];
        for (int i = 0, n = size * size; i < n; i++)
        {
            rgba[4 * i] = rgb[3 * i];
            rgba[4 * i + 1] = rgb[3 * i + 1];
            rgba[4 * i + 2] = rgb[3 * i + 2];
            rgba[4 * i + 3] = 255;
        }
        return EncodePng(rgba, size);
    }

    /// <summary>Broden's mask encoding: R = label mod 256, G = label / 256, B = 0.</summary>
    internal static byte[] EncodeLabels(int[] labels, int size)
    {
        var rgba = new byte[size * size * 4];
        for (int i = 0; i < labels.Length; i++)
        {
            rgba[4 * i] = (byte)(labels[i] & 0xFF);
            rgba[4 * i + 1] = (byte)(labels[i] >> 8);
            rgba[4 * i + 3] = 255;
        }
        return EncodePng(rgba, size);
    }

    /// <summary>An opaque RGBA buffer as an 8-bit RGB PNG with no colour-space chunk.</summary>
    static byte[] EncodePng(byte[] rgba, int size)
    {
        var info = new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), size * 4);
            using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))
                ?? throw new InvalidOperationException("Skia could not encode a PNG.");
            return data.ToArray();
        }
        finally
        {
            handle.Free();
        }
    }

    static void WriteCsvFiles(string root, ImageStats[] stats, string[] splits, int size, int maskSize)
    {
        var frequency = new int[MaxLabel + 1];
        var pixels = new long[MaxLabel + 1];
        var categoryImages = Categories.ToDictionary(c => c, _ => 0, StringComparer.Ordinal);
        var index = new StringBuilder();
        BrodenCsv.WriteLine(index, ["image", "split", "ih", "iw", "sh", "sw", .. Categories]);
        string s = size.ToString(CultureInfo.InvariantCulture), m = maskSize.ToString(CultureInfo.InvariantCulture);
        for (int i = 0; i < stats.Length; i++)
        {
            var fields = new List<string> { ImageName(i), splits[i], s, s, m, m };
            foreach (string category in Categories)
            {
                if (category == "scene")
                {
                    int scene = stats[i].Scene;
                    frequency[scene]++;
                    pixels[scene] += (long)maskSize * maskSize;
                    categoryImages[category]++;
                    fields.Add(scene.ToString(CultureInfo.InvariantCulture));
                    continue;
                }
                int[] counts = stats[i].Counts[category];
                bool any = false;
                for (int label = 1; label <= MaxLabel; label++)
                {
                    if (counts[label] == 0) continue;
                    any = true;
                    frequency[label]++;
                    pixels[label] += counts[label];
                }
                if (any) categoryImages[category]++;
                fields.Add(any ? ImageName(i, category) : "");
            }
            BrodenCsv.WriteLine(index, [.. fields]);
        }

        double area = (double)maskSize * maskSize;
        string Coverage(int label) => (pixels[label] / area).ToString("R", CultureInfo.InvariantCulture);
        string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

        var labels = new StringBuilder();
        BrodenCsv.WriteLine(labels, "number", "name", "category", "frequency", "coverage", "syns");
        for (int label = 1; label <= MaxLabel; label++)
            BrodenCsv.WriteLine(labels, Int(label), Name(label), $"{CategoryOf(label)}({frequency[label]})",
                Int(frequency[label]), Coverage(label), "");

        var categories = new StringBuilder();
        BrodenCsv.WriteLine(categories, "name", "first", "last", "count", "frequency");
        var files = new List<(string, StringBuilder)>();
        foreach (string category in Categories)
        {
            int[] members = Enumerable.Range(1, MaxLabel).Where(l => CategoryOf(l) == category).ToArray();
            BrodenCsv.WriteLine(categories, category, Int(members[0]), Int(members[^1]), Int(members.Length), Int(categoryImages[category]));
            var map = new StringBuilder();
            BrodenCsv.WriteLine(map, "code", "number", "name", "frequency", "coverage");
            for (int code = 1; code <= members.Length; code++)
            {
                int label = members[code - 1];
                BrodenCsv.WriteLine(map, Int(code), Int(label), Name(label), Int(frequency[label]), Coverage(label));
            }
            files.Add(($"c_{category}.csv", map));
        }
        files.Add(("label.csv", labels));
        files.Add(("category.csv", categories));
        files.Add(("index.csv", index)); // last: a folder with index.csv is complete
        var utf8 = new UTF8Encoding(false);
        foreach (var (name, text) in files)
            File.WriteAllText(Path.Combine(root, name), text.ToString(), utf8);
    }
}
