using SkiaSharp;
using UnitScope.Engine;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Rendering.Report;

namespace UnitScope.Rendering.Tests.Report;

/// <summary>A tiny in-memory probe set: 32×32 images of a coloured square on gray, masks at 16×16.</summary>
sealed class FakeProbeDataset(int count = 12) : ISegmentationDataset
{
    public string Root => "/nowhere/fake-probe";
    public string ContentHash => "feedface" + new string('0', 56);
    public IReadOnlyList<string> Categories { get; } = ["color", "shape"];
    public IReadOnlyList<Concept> Concepts { get; } = [new(1, "red", "color"), new(2, "green", "color"), new(3, "square", "shape")];
    public int MaxConceptId => 3;
    public int Count => count;

    public ProbeSample Load(int index)
    {
        if (index < 0 || index >= count)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"No image {index}.");
        return new ProbeSample(index, $"{Root}/{index}.png", Image(index), 16, 16,
            new Dictionary<string, IReadOnlyList<int[]>>(), new Dictionary<string, IReadOnlyList<int>>());
    }

    public static RgbImage Image(int index)
    {
        var pixels = new byte[32 * 32 * 3];
        int x0 = 2 + 3 * (index % 6), y0 = 2 + 2 * (index % 5);
        byte[] colour = index % 2 == 0 ? [220, 30, 30] : [30, 200, 60];
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
            {
                bool inside = x >= x0 && x < x0 + 12 && y >= y0 && y < y0 + 12;
                for (int c = 0; c < 3; c++)
                    pixels[(y * 32 + x) * 3 + c] = inside ? colour[c] : (byte)110;
            }
        return new RgbImage(32, 32, 3, pixels);
    }
}

static class ReportSamples
{
    public static string RepoRoot => Fixtures.RepoRoot;

    public static string SmallCnn => Path.Combine(RepoRoot, "tests", "fixtures", "models", "smallcnn_cifar.pth");

    /// <summary>What the sample reports say they dissected (no model is loaded: the report draws data).</summary>
    public static ReportSubject Subject { get; } = new(SmallCnn, "smallcnn", "0123456789abcdef" + new string('0', 48));

    /// <summary>
    /// A hand-made dissection of <paramref name="layer"/>: every other unit labelled, top images from the
    /// fake set, each with a mask (<see cref="MaskOf"/>) as a freshly computed result carries.
    /// </summary>
    public static LayerDissection Dissection(string layer = "conv2", int units = 16, int topImages = 4, float threshold = 0f, int images = 12)
    {
        string[] concepts = ["red", "green", "square"];
        string[] categories = ["color", "color", "shape"];
        var list = Enumerable.Range(0, units).Select(u =>
        {
            int c = u % 3;
            var best = new ConceptScore(c + 1, concepts[c], categories[c], 0.02 + 0.01 * u);
            var top = Enumerable.Range(0, topImages).Select(k => new TopImage((u + 3 * k) % images, 5f - k)).ToList();
            return new UnitDissection(u, threshold + 0.01f * u, u % 2 == 0 ? best : null, best, [best], top)
            {
                TopMasks = [.. top.Select(t => MaskOf(u, t.ImageIndex))],
            };
        }).ToList();
        var counts = list.Where(x => x.Label is not null).GroupBy(x => x.Label!.Category).ToDictionary(g => g.Key, g => g.Count());
        return new LayerDissection(layer, Subject.CheckpointHash, "feedface" + new string('0', 56), new DissectionOptions { TopImages = topImages },
            images, list, counts);
    }

    /// <summary>Unit u's 16×16 mask on an image: a (u % 8 + 4)-pixel square at (image % 5, image % 7).</summary>
    public static UnitMask MaskOf(int unit, int image)
    {
        var bits = new ulong[4];
        int side = unit % 8 + 4, y0 = image % 5, x0 = image % 7;
        for (int y = y0; y < Math.Min(16, y0 + side); y++)
            for (int x = x0; x < Math.Min(16, x0 + side); x++)
                bits[(y * 16 + x) >> 6] |= 1UL << ((y * 16 + x) & 63);
        return new UnitMask(image, 16, 16, bits);
    }

    public static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new InvalidOperationException("not a PNG");

    /// <summary>Pixels in the rectangle that differ from white by more than <paramref name="tolerance"/> in any channel.</summary>
    public static int InkPixels(SKBitmap bitmap, int x0, int y0, int x1, int y1, int tolerance = 40)
    {
        int n = 0;
        for (int y = Math.Max(0, y0); y < Math.Min(bitmap.Height, y1); y++)
            for (int x = Math.Max(0, x0); x < Math.Min(bitmap.Width, x1); x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (255 - c.Red > tolerance || 255 - c.Green > tolerance || 255 - c.Blue > tolerance)
                    n++;
            }
        return n;
    }

    public static int PixelsOfColour(SKBitmap bitmap, SKColor colour, int tolerance = 2)
    {
        int n = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (Math.Abs(c.Red - colour.Red) <= tolerance && Math.Abs(c.Green - colour.Green) <= tolerance && Math.Abs(c.Blue - colour.Blue) <= tolerance)
                    n++;
            }
        return n;
    }
}
