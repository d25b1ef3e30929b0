using System.Text.Json;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;

namespace UnitScope.Rendering.Tests;

/// <summary>
/// Resizing gives PIL's bytes exactly (what torchvision's Resize feeds a model): every filter, shrinking and
/// enlarging, one axis or both, odd sizes, RGB and grey, against tests/fixtures/images/resize (made by
/// make_resize_fixtures.py with PIL 9.4 / torchvision 0.14).
/// </summary>
public class PilResampleTests
{
    static string Folder => Path.Combine(Fixtures.Images, "resize");

    static readonly Lazy<JsonElement> Cases = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "cases.json"))).RootElement);

    static RgbImage Source(string name) =>
        ImageFile.Load(name == "digit_28.png" ? Fixtures.Image(name) : Path.Combine(Folder, name));

    public static TheoryData<string, string, int, int, string> ResizeCases()
    {
        var data = new TheoryData<string, string, int, int, string>();
        foreach (var c in Cases.Value.GetProperty("resize").EnumerateArray())
            data.Add(c.GetProperty("source").GetString()!, c.GetProperty("filter").GetString()!,
                c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32(), c.GetProperty("expected").GetString()!);
        return data;
    }

    /// <summary>The only place that compares: same size and channels, and every byte equal (the message counts the
    /// bytes that differ and the largest difference, so a near miss reads as one).</summary>
    static void Check(RgbImage actual, string expectedFile)
    {
        var expected = ImageFile.Load(Path.Combine(Folder, expectedFile));
        (actual.Width, actual.Height, actual.Channels).Should().Be((expected.Width, expected.Height, expected.Channels));
        int differing = 0, largest = 0;
        for (int i = 0; i < actual.Pixels.Length; i++)
        {
            int d = Math.Abs(actual.Pixels[i] - expected.Pixels[i]);
            if (d == 0) continue;
            differing++;
            largest = Math.Max(largest, d);
        }
        (differing, largest).Should().Be((0, 0), "every byte of {0} equals PIL's ({1} of {2} differ)", expectedFile, differing, actual.Pixels.Length);
    }

    [Theory]
    [MemberData(nameof(ResizeCases))]
    public void Resize_gives_PILs_bytes(string source, string filter, int width, int height, string expected) =>
        Check(ImageResize.Resize(Source(source), width, height, ResamplingNames.Parse(filter)!.Value), expected);

    public static TheoryData<string, int, string, int, string> PipelineCases()
    {
        var data = new TheoryData<string, int, string, int, string>();
        foreach (var c in Cases.Value.GetProperty("torchvision").EnumerateArray())
            data.Add(c.GetProperty("source").GetString()!, c.GetProperty("resize").GetInt32(), c.GetProperty("interpolation").GetString()!,
                c.GetProperty("crop").GetInt32(), c.GetProperty("expected").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(PipelineCases))]
    public void Resize_then_centre_crop_gives_torchvisions_bytes(string source, int resize, string interpolation, int crop, string expected)
    {
        var sizing = new ImageFolderOptions
        {
            ResizeShorterSide = resize, CropHeight = crop, CropWidth = crop, Resampling = ResamplingNames.Parse(interpolation),
        };
        Check(sizing.Apply(Source(source)), expected);
    }

    [Fact]
    public void The_default_is_bilinear_as_torchvisions()
    {
        var photo = Source("photo_rgb_173x131.png");
        ImageResize.Resize(photo, 64, 48).Pixels.Should().Equal(ImageResize.Resize(photo, 64, 48, Resampling.Bilinear).Pixels);
        ImageResize.Resize(photo, 64, 48).Pixels.Should().NotEqual(ImageResize.Resize(photo, 64, 48, Resampling.Bicubic).Pixels);
    }

    [Theory]
    [InlineData("bicubic", Resampling.Bicubic)]
    [InlineData("BILINEAR", Resampling.Bilinear)]
    [InlineData("InterpolationMode.LANCZOS", Resampling.Lanczos)]
    [InlineData(" nearest ", Resampling.Nearest)]
    public void Torchvisions_names_are_understood(string text, Resampling expected) =>
        ResamplingNames.Parse(text).Should().Be(expected);

    [Fact]
    public void Unknown_names_are_not_guessed()
    {
        ResamplingNames.Parse("cubic").Should().BeNull();
        ResamplingNames.Parse("nearest-exact").Should().BeNull("PIL has no nearest-exact; torchvision allows it for tensors only");
    }
}
