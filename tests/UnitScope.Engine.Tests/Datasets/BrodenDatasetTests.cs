using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Tests.Datasets;

/// <summary>BrodenDataset against broden_mini, whose answers make_broden_mini.py wrote down (expected.json: every
/// mask decoded with numpy as R + 256·G).</summary>
public class BrodenDatasetTests
{
    static readonly BrodenDataset Mini = BrodenDataset.Open(DatasetFolders.BrodenMini);

    static int[] Expected(string mask)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(DatasetFolders.BrodenMini, "expected.json")));
        return doc.RootElement.GetProperty(mask).EnumerateArray().SelectMany(row => row.EnumerateArray()).Select(v => v.GetInt32()).ToArray();
    }

    [Fact]
    public void Categories_follow_category_csv()
    {
        Mini.Categories.Should().Equal("color", "object", "part", "material", "scene", "texture");
        Mini.CategoryInfo.Single(c => c.Name == "object").Should().Be(new BrodenCategory("object", 40, 301, 4, 2));
        Mini.Count.Should().Be(3);
        Mini.MaxConceptId.Should().Be(1201);
    }

    [Fact]
    public void Concepts_take_the_category_of_largest_coverage()
    {
        Mini.Concepts.Select(c => (c.Id, c.Name, c.Category)).Should().Equal(
            (1, "black-c", "color"), (2, "red-c", "color"), (3, "blue-c", "color"),
            (40, "fabric", "material"), // object 0.125 < material 0.25, although label.csv names object first
            (41, "wood", "material"),
            (42, "glass", "part"), // object 0.125 = part 0.125: the later category, as NetDissect-Lite
            (300, "car", "object"), (301, "person", "object"),
            (700, "wheel", "part"), (701, "head", "part"), (702, "window", "part"),
            (1000, "street-s", "scene"), (1001, "beach-s", "scene"),
            (1200, "striped", "texture"), (1201, "dotted", "texture"));
    }

    [Fact]
    public void Label_statistics_and_quoted_synonyms_are_read()
    {
        var car = Mini.Labels.Single(l => l.Name == "car");
        car.Synonyms.Should().Equal("auto, automobile", "machine");
        car.Frequency.Should().Be(2);
        car.ByCategory["object"].Should().Be(new BrodenCategoryStats(1, 2, 0.5));
        Mini.Labels.Single(l => l.Number == 40).ByCategory.Keys.Should().BeEquivalentTo("object", "material");
    }

    [Fact]
    public void Pixel_labels_are_R_plus_256G_at_mask_size_with_several_layers()
    {
        var s = Mini.Load(0);
        s.ImagePath.Should().Be(Path.Combine(DatasetFolders.BrodenMini, "images", "ade", "a.png"));
        (s.Image.Width, s.Image.Height, s.Image.Channels).Should().Be((8, 8, 3));
        (s.MaskWidth, s.MaskHeight).Should().Be((4, 4));
        s.PixelLabels.Keys.Should().BeEquivalentTo("color", "object", "part", "material");
        s.PixelLabels["color"].Single().Should().Equal(Expected("ade/a_color.png"));
        s.PixelLabels["object"].Single().Should().Equal(Expected("ade/a_object.png"));
        s.PixelLabels["object"][0][0].Should().Be(300); // R = 44, G = 1
        s.PixelLabels["part"].Should().HaveCount(2);
        s.PixelLabels["part"][0].Should().Equal(Expected("ade/a_part_1.png"));
        s.PixelLabels["part"][1].Should().Equal(Expected("ade/a_part_2.png"));
        s.PixelLabels["part"][0][0].Should().Be(700);
        s.PixelLabels["material"].Single().Should().Equal(Expected("ade/a_material.png"));
        s.ImageLabels.Should().ContainSingle().Which.Value.Should().Equal(1000);
        Mini.Split(0).Should().Be("train");
    }

    [Fact]
    public void Image_level_labels_and_masks_that_colour_management_would_change()
    {
        var dtd = Mini.Load(1);
        (dtd.Image.Width, dtd.Image.Height).Should().Be((8, 6)); // a JPEG
        (dtd.MaskWidth, dtd.MaskHeight).Should().Be((8, 6));
        // RGBA with a transparent first row and a gAMA 1.0 chunk: raw values, no premultiplication or gamma.
        dtd.PixelLabels["color"].Single().Should().Equal(Expected("dtd/b_color.png"));
        dtd.ImageLabels["texture"].Should().Equal(1200, 1201);
        dtd.ImageLabels.Should().NotContainKey("scene");

        var c = Mini.Load(2);
        c.PixelLabels["object"].Single().Should().Equal(Expected("misc/c_object.png")); // palette PNG
        c.PixelLabels["color"].Single().Should().Equal(Expected("misc/c_color.png")); // 8-bit gray: label = gray
        c.ImageLabels["scene"].Should().Equal(1001);
        Mini.Split(2).Should().Be("val");
    }

    [Fact]
    public void Content_hash_covers_the_csv_files_as_documented_and_not_the_images()
    {
        string Recompute(string root)
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var names = new[] { "index.csv", "label.csv", "category.csv" }
                .Concat(new[] { "color", "object", "part", "material", "scene", "texture" }.Order(StringComparer.Ordinal).Select(c => $"c_{c}.csv"));
            foreach (string name in names)
            {
                byte[] bytes = File.ReadAllBytes(Path.Combine(root, name));
                sha.AppendData([.. Encoding.UTF8.GetBytes(name), 0]);
                sha.AppendData(BitConverter.GetBytes((long)bytes.Length));
                sha.AppendData(bytes);
            }
            return Convert.ToHexStringLower(sha.GetHashAndReset());
        }

        Mini.ContentHash.Should().Be(Recompute(DatasetFolders.BrodenMini)).And.MatchRegex("^[0-9a-f]{64}$");
        using var copy = DatasetFolders.CopyOfBrodenMini();
        File.WriteAllBytes(copy["images/ade/a.png"], File.ReadAllBytes(copy["images/misc/c.png"]));
        BrodenDataset.Open(copy.Path).ContentHash.Should().Be(Mini.ContentHash);
        File.AppendAllText(copy["c_texture.csv"], "\n"); // a blank line: the same content to the parser, other bytes
        BrodenDataset.Open(copy.Path).ContentHash.Should().NotBe(Mini.ContentHash);
    }

    [Fact]
    public void Load_is_safe_from_several_threads()
    {
        var reference = Enumerable.Range(0, Mini.Count).Select(Mini.Load).ToArray();
        Parallel.For(0, 60, k =>
        {
            var s = Mini.Load(k % Mini.Count);
            var r = reference[k % Mini.Count];
            s.Image.Pixels.Should().Equal(r.Image.Pixels);
            foreach (var (category, layers) in r.PixelLabels)
                for (int i = 0; i < layers.Count; i++)
                    s.PixelLabels[category][i].Should().Equal(layers[i]);
        });
    }

    // ---- errors ------------------------------------------------------------------------------------------

    /// <summary>Damages a copy of broden_mini, then opening it (or loading image <paramref name="load"/>)
    /// fails with <paramref name="kind"/> and a message holding every part.</summary>
    static void Check(Action<TempFolder> damage, EngineErrorKind kind, int? load, params string[] messageParts)
    {
        using var copy = DatasetFolders.CopyOfBrodenMini();
        damage(copy);
        Action act = load is int i ? () => BrodenDataset.Open(copy.Path).Load(i) : () => BrodenDataset.Open(copy.Path);
        var error = act.Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(kind, error.Message);
        foreach (string part in messageParts)
            error.Message.Should().Contain(part.Replace("{root}", copy.Path));
    }

    static void Rewrite(TempFolder f, string file, string from, string to)
    {
        string text = File.ReadAllText(f[file]);
        text.Should().Contain(from);
        File.WriteAllText(f[file], text.Replace(from, to));
    }

    [Fact]
    public void Missing_folder_or_index_is_file_not_found()
    {
        var act = () => BrodenDataset.Open("/no/such/broden");
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.FileNotFound && e.Message.Contains("/no/such/broden"));
        Check(f => File.Delete(f["index.csv"]), EngineErrorKind.FileNotFound, null, "{root}/index.csv", "not found");
        Check(f => File.Delete(f["c_part.csv"]), EngineErrorKind.FileNotFound, null, "{root}/c_part.csv");
    }

    [Fact]
    public void Missing_mask_names_the_file_and_the_index_row() =>
        Check(f => File.Delete(f["images/ade/a_part_2.png"]), EngineErrorKind.FileNotFound, 0,
            "{root}/images/ade/a_part_2.png", "index.csv line 2");

    [Fact]
    public void Missing_image_names_the_file() =>
        Check(f => File.Delete(f["images/misc/c.png"]), EngineErrorKind.FileNotFound, 2, "{root}/images/misc/c.png", "index.csv line 4");

    [Fact]
    public void Malformed_index_rows_name_file_and_line()
    {
        Check(f => Rewrite(f, "index.csv", "dtd/b.jpg,train,6,8,", "dtd/b.jpg,train,6,"), EngineErrorKind.InvalidArgument, null,
            "{root}/index.csv' line 3", "11 fields where the header has 12");
        Check(f => Rewrite(f, "index.csv", "misc/c.png,val,8,8", "misc/c.png,val,eight,8"), EngineErrorKind.InvalidArgument, null,
            "index.csv' line 4", "'ih' must be a whole number, not 'eight'");
        Check(f => Rewrite(f, "index.csv", ",1001,", ",999,"), EngineErrorKind.InvalidArgument, null,
            "index.csv' line 4", "'scene' names label 999");
        Check(f => Rewrite(f, "index.csv", "misc/c_object.png", "../../etc/passwd"), EngineErrorKind.InvalidArgument, null,
            "line 4", "inside images/");
        Check(f => Rewrite(f, "index.csv", "ade/a.png,", "\"ade/a.png,"), EngineErrorKind.InvalidArgument, null,
            "index.csv' line 2", "never closed");
        Check(f => Rewrite(f, "index.csv", "image,split,ih", "picture,split,ih"), EngineErrorKind.InvalidArgument, null,
            "has no 'image' column");
    }

    [Fact]
    public void Malformed_label_files_name_file_and_line()
    {
        Check(f => Rewrite(f, "label.csv", "41,wood", "40,wood"), EngineErrorKind.InvalidArgument, null,
            "{root}/label.csv' line 6", "label number 40 is listed twice");
        Check(f => Rewrite(f, "label.csv", "material(1),1,0.125,\n", "material1,1,0.125,\n"), EngineErrorKind.InvalidArgument, null,
            "label.csv' line 6", "'material1' is not of the form name(count)");
        Check(f => Rewrite(f, "c_object.csv", "4,42,glass", "4,43,glass"), EngineErrorKind.InvalidArgument, null,
            "c_object.csv' lists label 43");
    }

    [Fact]
    public void Bad_masks_are_bad_images_naming_the_file()
    {
        Check(f => File.WriteAllBytes(f["images/ade/a_object.png"], ProbeSetGenerator.EncodeLabels(new int[25], 5)),
            EngineErrorKind.BadImage, 0, "{root}/images/ade/a_object.png", "is 5x5", "line 2 says 4x4");
        Check(f => File.WriteAllBytes(f["images/ade/a_object.png"], ProbeSetGenerator.EncodeLabels(Enumerable.Repeat(2000, 16).ToArray(), 4)),
            EngineErrorKind.BadImage, 0, "a_object.png", "label 2000", "largest number is 1201");
        Check(f => File.Copy(f["images/dtd/b.jpg"], f["images/ade/a_material.png"], overwrite: true),
            EngineErrorKind.BadImage, 0, "a_material.png", "must be PNG");
        Check(f => File.WriteAllBytes(f["images/ade/a_color.png"], File.ReadAllBytes(f["images/ade/a_color.png"])[..40]),
            EngineErrorKind.BadImage, 0, "a_color.png");
        Check(f => File.Copy(f["images/misc/c.png"], f["images/dtd/b.jpg"], overwrite: true),
            EngineErrorKind.BadImage, 1, "b.jpg", "is 8x8 but index.csv line 3 says 8x6");
    }
}
