using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;

namespace UnitScope.Bench;

/// <summary>
/// A probe set generated on demand from (seed, index): nothing is kept between loads, so the set's own
/// memory does not grow with its size. Each image is a background colour with a few coloured
/// rectangles ("color" and "object" pixel labels), half the images with two overlapping "part" maps,
/// and one image-level "scene" label; masks are half the image's size, like Broden's.
/// </summary>
sealed class SyntheticProbeSet(int count, int imageSize, int seed = 1) : ISegmentationDataset
{
    static readonly (string Name, byte R, byte G, byte B)[] Colors =
        [("red", 220, 40, 40), ("green", 40, 200, 60), ("blue", 40, 70, 220), ("yellow", 230, 220, 50), ("white", 240, 240, 240), ("black", 15, 15, 15)];
    static readonly string[] Objects = ["box", "bar", "slab", "tile"];
    static readonly string[] Parts = ["edge", "corner", "core"];
    static readonly string[] Scenes = ["indoor", "outdoor", "street"];

    public static readonly IReadOnlyList<Concept> AllConcepts = Build();

    static List<Concept> Build()
    {
        var list = new List<Concept>();
        foreach (var c in Colors) list.Add(new(list.Count + 1, c.Name, "color"));
        foreach (var o in Objects) list.Add(new(list.Count + 1, o, "object"));
        foreach (var p in Parts) list.Add(new(list.Count + 1, p, "part"));
        foreach (var s in Scenes) list.Add(new(list.Count + 1, s, "scene"));
        return list;
    }

    static int Id(string name) => AllConcepts.First(c => c.Name == name).Id;

    public string Root => "synthetic://probe";
    public string ContentHash => $"synthetic-{seed}-{count}-{imageSize}";
    public IReadOnlyList<string> Categories { get; } = ["color", "object", "part", "scene"];
    public IReadOnlyList<Concept> Concepts => AllConcepts;
    public int MaxConceptId => AllConcepts.Count;
    public int Count => count;

    public ProbeSample Load(int index)
    {
        var random = new Random(seed * 1_000_003 + index);
        int size = imageSize, mask = imageSize / 2;
        var pixels = new byte[size * size * 3];
        var background = Colors[random.Next(Colors.Length)];
        Fill(pixels, size, 0, 0, size, size, background);
        var color = new int[mask * mask];
        Array.Fill(color, Id(background.Name));
        var obj = new int[mask * mask];
        var partA = new int[mask * mask];
        var partB = new int[mask * mask];
        bool parts = random.Next(2) == 0;
        int rectangles = 1 + random.Next(3);
        for (int r = 0; r < rectangles; r++)
        {
            var c = Colors[random.Next(Colors.Length)];
            int h = 2 + random.Next(mask / 2), w = 2 + random.Next(mask / 2);
            int y0 = random.Next(mask - h), x0 = random.Next(mask - w);
            Fill(pixels, size, y0 * 2, x0 * 2, h * 2, w * 2, c);
            int objectId = Id(Objects[random.Next(Objects.Length)]);
            for (int y = y0; y < y0 + h; y++)
                for (int x = x0; x < x0 + w; x++)
                {
                    color[y * mask + x] = Id(c.Name);
                    obj[y * mask + x] = objectId;
                    if (!parts) continue;
                    bool edge = y == y0 || x == x0 || y == y0 + h - 1 || x == x0 + w - 1;
                    partA[y * mask + x] = edge ? Id("edge") : Id("core");
                    if ((y == y0 || y == y0 + h - 1) && (x == x0 || x == x0 + w - 1)) partB[y * mask + x] = Id("corner");
                }
        }
        var pixelLabels = new Dictionary<string, IReadOnlyList<int[]>> { ["color"] = [color], ["object"] = [obj] };
        if (parts) pixelLabels["part"] = [partA, partB];
        var imageLabels = new Dictionary<string, IReadOnlyList<int>> { ["scene"] = [Id(Scenes[random.Next(Scenes.Length)])] };
        return new ProbeSample(index, $"synthetic/{index}.png", new RgbImage(size, size, 3, pixels), mask, mask, pixelLabels, imageLabels);
    }

    static void Fill(byte[] pixels, int size, int y0, int x0, int h, int w, (string, byte R, byte G, byte B) c)
    {
        for (int y = y0; y < Math.Min(size, y0 + h); y++)
            for (int x = x0; x < Math.Min(size, x0 + w); x++)
            {
                int i = (y * size + x) * 3;
                pixels[i] = c.R;
                pixels[i + 1] = c.G;
                pixels[i + 2] = c.B;
            }
    }
}
