using UnitScope.Engine.Datasets;
using UnitScope.Engine.Datasets.Probe;
using UnitScope.Engine.Imaging;
using static UnitScope.Engine.Datasets.Probe.ProbeVocabulary;

namespace UnitScope.Engine.Tests.Datasets;

/// <summary>One small generated probe set (60 images of 112 px), read back through BrodenDataset.</summary>
public sealed class GeneratedProbeSet : IDisposable
{
    public static readonly ProbeSetOptions Options = new() { Count = 60, Seed = 7 };

    readonly TempFolder _folder = new();

    public GeneratedProbeSet()
    {
        ProbeSetGenerator.Generate(_folder["set"], Options);
        Dataset = BrodenDataset.Open(_folder["set"]);
        Samples = Enumerable.Range(0, Dataset.Count).Select(Dataset.Load).ToArray();
    }

    public BrodenDataset Dataset { get; }
    public ProbeSample[] Samples { get; }

    public void Dispose() => _folder.Dispose();
}

public class ProbeSetTests(GeneratedProbeSet set) : IClassFixture<GeneratedProbeSet>
{
    static int[] Layer(ProbeSample s, string category) =>
        s.PixelLabels.TryGetValue(category, out var layers) ? layers.Single() : new int[s.MaskWidth * s.MaskHeight];

    [Fact]
    public void Same_seed_gives_byte_identical_files_and_another_seed_another_set()
    {
        using var temp = new TempFolder();
        var options = new ProbeSetOptions { Count = 18, ImageSize = 64, Seed = 3 };
        ProbeSetGenerator.Generate(temp["a"], options);
        ProbeSetGenerator.Generate(temp["b"], options);
        ProbeSetGenerator.Generate(temp["c"], options with { Seed = 4 });
        var a = DatasetFolders.Snapshot(temp["a"]);
        var b = DatasetFolders.Snapshot(temp["b"]);
        b.Keys.Should().Equal(a.Keys);
        foreach (var (name, bytes) in a)
            b[name].Should().Equal(bytes, name);
        BrodenDataset.Open(temp["b"]).ContentHash.Should().Be(BrodenDataset.Open(temp["a"]).ContentHash);

        BrodenDataset.Open(temp["c"]).ContentHash.Should().NotBe(BrodenDataset.Open(temp["a"]).ContentHash);
        var c = DatasetFolders.Snapshot(temp["c"]);
        c["images/probe/000000.png"].Should().NotEqual(a["images/probe/000000.png"]);
    }

    [Fact]
    public void Concepts_are_the_documented_vocabulary()
    {
        var ds = set.Dataset;
        ds.Categories.Should().Equal("color", "object", "part", "material", "scene", "texture");
        ds.Concepts.Should().HaveCount(MaxLabel);
        ds.Concepts.Where(c => c.Category == "color").Select(c => c.Name).Should().Equal(
            "black", "blue", "brown", "green", "grey", "orange", "pink", "purple", "red", "white", "yellow");
        ds.Concepts.Where(c => c.Category == "scene").Select(c => c.Name).Should().Equal(
            "street", "parking-lot", "forest", "garden", "beach", "playroom");
        ds.Concepts.Where(c => c.Category == "texture").Select(c => c.Name).Should().Equal(
            "striped", "chequered", "dotted", "zigzagged", "grid", "noisy");
        ds.Concepts.Where(c => c.Category == "material").Select(c => c.Name).Should().Equal(
            "brick", "wood", "grass", "water", "metal", "sand");
        ds.Concepts.Where(c => c.Category == "part").Should().HaveCount(16);
        ds.Concepts.Where(c => c.Category == "object").Should().HaveCount(15);
        ds.Concepts.Select(c => c.Name).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Every_pixel_is_labelled_with_the_colour_its_RGB_shows()
    {
        var wrong = new List<string>();
        foreach (var s in set.Samples)
        {
            int[] color = Layer(s, "color");
            for (int i = 0; i < color.Length; i++)
            {
                int r = s.Image.Pixels[3 * i], g = s.Image.Pixels[3 * i + 1], b = s.Image.Pixels[3 * i + 2];
                // The generator's boxes, recomputed from the decoded PNG, and what the colour names mean to a
                // person, independently of those boxes.
                if (color[i] == 0 || ProbePalette.Classify(r, g, b) != color[i] || !LooksLike(Name(color[i]), r, g, b))
                    wrong.Add($"image {s.Index} pixel {i} ({r},{g},{b}) is labelled {color[i]}");
            }
        }
        wrong.Should().BeEmpty();
    }

    static bool LooksLike(string color, int r, int g, int b)
    {
        int max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
        return color switch
        {
            "black" => max <= 60,
            "white" => min >= 200 && max - min <= 25,
            "grey" => min >= 90 && max <= 180 && max - min <= 25,
            "red" => r >= 165 && g <= 70 && b <= 70,
            "orange" => r >= 220 && g is >= 100 and <= 170 && b <= 60,
            "yellow" => r >= 210 && g >= 190 && b <= 120,
            "green" => g >= r + 20 && g >= b + 20,
            "blue" => b >= r + 80 && b >= g + 40,
            "brown" => r > g && g > b && r is >= 95 and <= 160 && b <= 60,
            "pink" => r >= 220 && b >= 170 && g is >= 135 and <= 195,
            "purple" => b >= g + 70 && r >= g + 30,
            _ => false,
        };
    }

    [Fact]
    public void Colour_boxes_are_disjoint()
    {
        int overlaps = 0;
        for (int r = 0; r < 256; r += 1)
            for (int g = 0; g < 256; g += 1)
                for (int b = 0; b < 256; b += 1)
                {
                    int n = 0;
                    foreach (var box in ProbePalette.Boxes)
                        if (box.Contains(r, g, b)) n++;
                    if (n > 1) overlaps++;
                }
        overlaps.Should().Be(0);
    }

    [Fact]
    public void Part_pixels_lie_in_their_objects_and_objects_with_parts_are_covered_by_them()
    {
        int[] withParts = [House, Tree, Car, Person, Boat];
        var wrong = new List<string>();
        foreach (var s in set.Samples)
        {
            int[] obj = Layer(s, "object"), part = Layer(s, "part");
            for (int i = 0; i < obj.Length; i++)
                if (part[i] != 0 ? obj[i] != OwnerOf(part[i]) : withParts.Contains(obj[i]))
                    wrong.Add($"image {s.Index} pixel {i}: object {obj[i]}, part {part[i]}");
        }
        wrong.Should().BeEmpty();
    }

    [Fact]
    public void Materials_and_textures_never_overlap_and_scenes_are_single_labels()
    {
        foreach (var s in set.Samples)
        {
            int[] material = Layer(s, "material"), texture = Layer(s, "texture");
            Enumerable.Range(0, material.Length).Count(i => material[i] != 0 && texture[i] != 0).Should().Be(0);
            s.ImageLabels.Keys.Should().Equal("scene");
            Scenes.Should().Contain(s.ImageLabels["scene"].Single());
            s.PixelLabels.Values.Should().AllSatisfy(layers => layers.Should().ContainSingle());
        }
    }

    [Fact]
    public void Statistics_match_a_recount_and_every_concept_is_present()
    {
        var ds = set.Dataset;
        int area = 112 * 112;
        var frequency = new int[MaxLabel + 1];
        var pixels = new long[MaxLabel + 1];
        var categoryImages = new Dictionary<string, int>();
        foreach (var s in set.Samples)
        {
            (s.MaskWidth, s.MaskHeight, s.Image.Width, s.Image.Height).Should().Be((112, 112, 112, 112));
            foreach (var (category, layers) in s.PixelLabels.Concat(s.ImageLabels.Select(kv =>
                         KeyValuePair.Create(kv.Key, (IReadOnlyList<int[]>)[Enumerable.Repeat(kv.Value.Single(), area).ToArray()]))))
            {
                var counts = layers.Single().Where(l => l != 0).GroupBy(l => l).ToArray();
                counts.Should().NotBeEmpty("a mask with no label is not written");
                categoryImages[category] = categoryImages.GetValueOrDefault(category) + 1;
                foreach (var g in counts)
                {
                    frequency[g.Key]++;
                    pixels[g.Key] += g.Count();
                }
            }
        }
        foreach (var label in ds.Labels)
        {
            string category = ds.Concepts.Single(c => c.Id == label.Number).Category;
            label.Frequency.Should().Be(frequency[label.Number], label.Name);
            label.Coverage.Should().BeApproximately(pixels[label.Number] / (double)area, 1e-9, label.Name);
            label.ByCategory.Should().ContainSingle().Which.Key.Should().Be(category);
            label.ByCategory[category].Frequency.Should().Be(frequency[label.Number]);
            label.ByCategory[category].Coverage.Should().Be(label.Coverage);
            // Every concept shows up, with enough pixels to be learnt from.
            frequency[label.Number].Should().BeGreaterThanOrEqualTo(2, label.Name);
            pixels[label.Number].Should().BeGreaterThanOrEqualTo(100, label.Name);
        }
        foreach (var category in ds.CategoryInfo)
            category.Frequency.Should().Be(categoryImages[category.Name], category.Name);
        ds.CategoryInfo.Select(c => (c.Name, c.First, c.Last, c.Count)).Should().Equal(
            ("color", 1, 11, 11), ("object", 12, 26, 15), ("part", 27, 42, 16), ("material", 43, 48, 6),
            ("scene", 49, 54, 6), ("texture", 55, 60, 6));
    }

    [Fact]
    public void Scenes_are_balanced_and_a_fifth_of_each_is_val()
    {
        var scenes = set.Samples.GroupBy(s => s.ImageLabels["scene"].Single()).ToDictionary(g => g.Key, g => g.ToArray());
        scenes.Keys.Should().BeEquivalentTo(Scenes);
        scenes.Values.Should().AllSatisfy(g => g.Should().HaveCount(10));
        foreach (var group in scenes.Values)
            group.Count(s => set.Dataset.Split(s.Index) == "val").Should().Be(2);
    }

    [Fact]
    public void Masks_at_another_size_label_what_is_visible_at_their_pixel_centres()
    {
        // 96 px images, 32 px masks: mask pixel (x, y) samples the centre of image pixel (3x + 1, 3y + 1).
        using var temp = new TempFolder();
        ProbeSetGenerator.Generate(temp.Path, new ProbeSetOptions { Count = 6, ImageSize = 96, MaskSize = 32, Seed = 11 });
        var ds = BrodenDataset.Open(temp.Path);
        for (int i = 0; i < ds.Count; i++)
        {
            var s = ds.Load(i);
            (s.MaskWidth, s.MaskHeight, s.Image.Width).Should().Be((32, 32, 96));
            var full = ProbeSetGenerator.Render(i, 11, s.ImageLabels["scene"].Single(), 96, 96).Labels;
            foreach (string category in PixelCategories)
            {
                int[] mask = Layer(s, category), reference = full.Of(category);
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        mask[y * 32 + x].Should().Be(reference[(3 * y + 1) * 96 + 3 * x + 1], "{0} of image {1} at ({2},{3})", category, i, x, y);
            }
            var color = Layer(s, "color");
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                {
                    int p = 3 * ((3 * y + 1) * 96 + 3 * x + 1);
                    ProbePalette.Classify(s.Image.Pixels[p], s.Image.Pixels[p + 1], s.Image.Pixels[p + 2]).Should().Be(color[y * 32 + x]);
                }
        }
    }

    [Fact]
    public void Bad_options_and_non_empty_folders_are_refused()
    {
        using var temp = new TempFolder();
        foreach (var bad in new[] { new ProbeSetOptions { Count = 0 }, new ProbeSetOptions { ImageSize = 8 }, new ProbeSetOptions { MaskSize = 4 } })
        {
            var act = () => ProbeSetGenerator.Generate(temp["x"], bad);
            act.Should().Throw<UnitScopeException>().Which.Kind.Should().Be(EngineErrorKind.InvalidArgument);
        }
        File.WriteAllText(temp["stray.txt"], "");
        var nonEmpty = () => ProbeSetGenerator.Generate(temp.Path, new ProbeSetOptions { Count = 1 });
        nonEmpty.Should().Throw<UnitScopeException>().Which.Message.Should().Contain(temp.Path).And.Contain("must be empty");
    }

    [Fact]
    public void Ensure_built_in_generates_once_then_reuses_the_cache()
    {
        using var cache = new TempFolder();
        var options = new ProbeSetOptions { Count = 12, ImageSize = 48, Seed = 5 };
        var reports = new List<int>();
        var first = ProbeSet.EnsureBuiltIn(cache.Path, options, new SyncProgress(reports.Add));
        first.Count.Should().Be(12);
        first.Root.Should().Be(Path.Combine(cache.Path, ProbeSet.FolderName(options)));
        reports.Order().Should().Equal(Enumerable.Range(1, 12));
        Directory.EnumerateFileSystemEntries(cache.Path).Should().ContainSingle("the temporary folder was renamed into place");

        DateTime written = File.GetLastWriteTimeUtc(Path.Combine(first.Root, "index.csv"));
        reports.Clear();
        var second = ProbeSet.EnsureBuiltIn(cache.Path, options, new SyncProgress(reports.Add));
        reports.Should().BeEmpty();
        second.Root.Should().Be(first.Root);
        second.ContentHash.Should().Be(first.ContentHash);
        File.GetLastWriteTimeUtc(Path.Combine(first.Root, "index.csv")).Should().Be(written);

        var other = ProbeSet.EnsureBuiltIn(cache.Path, options with { Seed = 6 });
        other.Root.Should().NotBe(first.Root);
    }

    [Fact]
    public void Cancelled_generation_leaves_no_folder_behind()
    {
        using var cache = new TempFolder();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var act = () => ProbeSet.EnsureBuiltIn(cache.Path, new ProbeSetOptions { Count = 50, ImageSize = 32 }, null, cts.Token);
        act.Should().Throw<OperationCanceledException>();
        Directory.EnumerateFileSystemEntries(cache.Path).Should().BeEmpty();
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        readonly object _gate = new();
        public void Report(int value) { lock (_gate) report(value); }
    }
}
