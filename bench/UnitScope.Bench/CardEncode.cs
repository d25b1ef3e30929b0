using System.Diagnostics;
using SkiaSharp;
using UnitScope.Engine.Datasets;
using UnitScope.Rendering;

namespace UnitScope.Bench;

/// <summary>
/// `bench/dissect --png`: what PNG compression costs a report's unit cards. Card-sized bitmaps (10 probe images of
/// 96 px in a row, half of each dimmed as a mask does) encoded with Skia's default PNG settings and with
/// <see cref="Png.Options"/>, alternately: CPU milliseconds per card and the files' size.
/// </summary>
static class CardEncode
{
    public static void Run(ISegmentationDataset data, int cards = 64, int repeat = 3)
    {
        var bitmaps = Enumerable.Range(0, cards).Select(c => Card(data, c)).ToList();
        var ways = new (string Name, Func<SKBitmap, byte[]> Encode)[]
        {
            ("Skia's default (all filters, zlib 6)", b => { using var d = b.Encode(SKEncodedImageFormat.Png, 100); return d.ToArray(); }),
            ($"Png.Options ({Png.Options.FilterFlags}, zlib {Png.Options.ZLibLevel})", b => Png.Encode(b, "a card")),
        };
        var cpu = new double[ways.Length];
        var bytes = new long[ways.Length];
        for (int r = 0; r < repeat; r++)
            for (int w = 0; w < ways.Length; w++)
            {
                double start = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
                bytes[w] = bitmaps.Sum(b => (long)ways[w].Encode(b).Length);
                cpu[w] += Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - start;
            }
        Console.WriteLine($"PNG encoding of {cards} unit cards ({bitmaps[0].Width}x{bitmaps[0].Height}), {repeat} rounds alternating:");
        for (int w = 0; w < ways.Length; w++)
            Console.WriteLine($"  {ways[w].Name,-40} {cpu[w] / repeat / cards * 1000,6:F1} ms CPU per card  {bytes[w] / cards / 1024.0,6:F0} KiB per card");
        Console.WriteLine($"default / Png.Options: {cpu[0] / cpu[1]:F2}x the CPU, {(double)bytes[1] / bytes[0]:F2}x the bytes the other way");
        foreach (var b in bitmaps) b.Dispose();
    }

    static SKBitmap Card(ISegmentationDataset data, int card)
    {
        const int tile = 96, tiles = 10;
        var bitmap = new SKBitmap(new SKImageInfo(16 + tiles * tile + (tiles - 1) * 4, 170, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        for (int t = 0; t < tiles; t++)
        {
            var image = data.Load((card * tiles + t) % data.Count).Image;
            using var source = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
            var pixels = source.GetPixelSpan();
            for (int i = 0; i < image.Width * image.Height; i++)
            {
                float keep = i % image.Width < image.Width / 2 ? 0.3f : 1f;
                for (int c = 0; c < 3; c++) pixels[4 * i + c] = (byte)(image.Pixels[image.Channels == 1 ? i : 3 * i + c] * keep);
                pixels[4 * i + 3] = 255;
            }
            using var scaled = source.Resize(new SKImageInfo(tile, tile, SKColorType.Rgba8888, SKAlphaType.Premul), new SKSamplingOptions(SKFilterMode.Linear));
            canvas.DrawBitmap(scaled, 8 + t * (tile + 4), 50, new SKSamplingOptions(SKFilterMode.Nearest), null);
        }
        return bitmap;
    }
}
