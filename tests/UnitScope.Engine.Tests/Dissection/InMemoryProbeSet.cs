using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>A probe set held in memory: samples built up front by the test.</summary>
sealed class InMemoryProbeSet(IReadOnlyList<string> categories, IReadOnlyList<Concept> concepts, IReadOnlyList<ProbeSample> samples)
    : ISegmentationDataset
{
    public int Loads { get; private set; }
    public string Root => "memory://probe";
    public string ContentHash => "0123abcd";
    public IReadOnlyList<string> Categories => categories;
    public IReadOnlyList<Concept> Concepts => concepts;
    public int MaxConceptId => concepts.Max(c => c.Id);
    public int Count => samples.Count;
    public IReadOnlyList<ProbeSample> Samples => samples;

    public ProbeSample Load(int index)
    {
        Loads++;
        return samples[index];
    }

    public Concept ConceptById(int id) => concepts.Single(c => c.Id == id);

    /// <summary>
    /// Random labels: "color" and "object" one map each, "part" two overlapping maps in half the images
    /// only (partial annotation; a part map sometimes holds an object concept, as Broden's do), "scene"
    /// 0–2 image-level labels. Mask sizes are drawn from <paramref name="maskSizes"/> per image.
    /// </summary>
    public static InMemoryProbeSet Random(int seed, int images, (int Height, int Width)[] maskSizes, int imageSize = 8)
    {
        var random = new Random(seed);
        string[] categories = ["color", "object", "part", "scene"];
        Concept[] concepts =
        [
            new(1, "red", "color"), new(2, "green", "color"), new(3, "blue", "color"),
            new(4, "dog", "object"), new(5, "car", "object"), new(6, "tree", "object"),
            new(7, "leg", "part"), new(8, "wheel", "part"), new(9, "leaf", "part"),
            new(10, "street", "scene"), new(11, "forest", "scene"),
        ];
        var samples = new List<ProbeSample>();
        for (int i = 0; i < images; i++)
        {
            var (h, w) = maskSizes[random.Next(maskSizes.Length)];
            var pixel = new Dictionary<string, IReadOnlyList<int[]>>
            {
                ["color"] = [Blobs(random, h, w, [1, 2, 3], 0.6)],
                ["object"] = [Blobs(random, h, w, [4, 5, 6], 0.4)],
            };
            if (random.Next(2) == 0)
                pixel["part"] = [Blobs(random, h, w, [7, 8, 9, 5], 0.3), Blobs(random, h, w, [7, 8, 9], 0.3)];
            var scenes = new List<int>();
            if (random.Next(3) > 0) scenes.Add(10 + random.Next(2));
            if (random.Next(4) == 0) scenes.Add(10 + random.Next(2)); // sometimes twice the same
            var image = new Dictionary<string, IReadOnlyList<int>> { ["scene"] = scenes };
            samples.Add(new ProbeSample(i, $"img{i}.png", Gray(imageSize, (byte)random.Next(256)), h, w, pixel, image));
        }
        return new InMemoryProbeSet(categories, concepts, samples);
    }

    /// <summary>A map of a few random rectangles of random concepts, covering about <paramref name="fill"/>.</summary>
    static int[] Blobs(Random random, int h, int w, int[] ids, double fill)
    {
        var map = new int[h * w];
        int rectangles = 1 + random.Next(3);
        for (int r = 0; r < rectangles; r++)
        {
            int id = ids[random.Next(ids.Length)];
            int rh = Math.Max(1, (int)(h * Math.Sqrt(fill / rectangles) * (0.5 + random.NextDouble())));
            int rw = Math.Max(1, (int)(w * Math.Sqrt(fill / rectangles) * (0.5 + random.NextDouble())));
            int y0 = random.Next(Math.Max(1, h - rh + 1)), x0 = random.Next(Math.Max(1, w - rw + 1));
            for (int y = y0; y < Math.Min(h, y0 + rh); y++)
                for (int x = x0; x < Math.Min(w, x0 + rw); x++)
                    map[y * w + x] = id;
        }
        return map;
    }

    public static RgbImage Gray(int size, byte value) =>
        new(size, size, 3, Enumerable.Repeat(value, size * size * 3).ToArray());
}
