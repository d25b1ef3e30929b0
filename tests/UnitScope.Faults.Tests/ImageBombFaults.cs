using UnitScope.Engine.Tests.Hostile;
using UnitScope.Faults.Tests.Support;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Faults.Tests;

/// <summary>Images whose headers promise more than any analysis needs, sent to the running daemon.</summary>
public class ImageBombFaults(SharedStdioDaemon shared) : IClassFixture<SharedStdioDaemon>
{
    [Theory(Timeout = 120_000)]
    [InlineData("a 20000x20000 PNG on disk", 20000, 20000, false)]
    [InlineData("a 30000x30000 RGBA header sent inline", 30000, 30000, true)]
    [InlineData("a 100000x1000 PNG on disk", 100000, 1000, false)]
    public async Task A_pixel_bomb_is_a_bad_image_and_costs_nothing(string what, int width, int height, bool inline)
    {
        var (d, id) = await shared.GetAsync();
        var bomb = ImageBombs.PngHeader(width, height);
        var before = d.MemoryMb().Now;
        var request = inline
            ? new PredictParams(id, ImageBase64: Convert.ToBase64String(bomb))
            : new PredictParams(id, ImagePath: Write(d, "bomb.png", bomb));
        var error = await d.Stdio!.CallExpectingErrorAsync(Methods.Predict, request, Daemon.Patience);
        error.Code.Should().Be(ErrorCodes.BadImage, $"{what}: {error}");
        error.Message.Should().Contain("more than the limit");
        (d.MemoryMb().Now - before).Should().BeLessThan(200, "nothing is decoded");
        await d.SurvivedAsync(d.Stdio, id);
    }

    [Fact(Timeout = 300_000)]
    public async Task Large_jpegs_one_after_another_do_not_pile_up_memory()
    {
        var (d, id) = await shared.GetAsync();
        // 20 M pixels each: decoded at 1/8 for a 64 px model, never whole.
        var path = Write(d, "big.jpg", ImageBombs.Jpeg(5008, 4000));
        await d.Stdio!.CallAsync<PredictResult>(Methods.Predict, new PredictParams(id, path), TimeSpan.FromSeconds(60));
        d.ResetPeak();
        var first = d.MemoryMb().Now;
        for (int i = 0; i < 8; i++)
            await d.Stdio.CallAsync<PredictResult>(Methods.Predict, new PredictParams(id, path), TimeSpan.FromSeconds(60));
        var (now, peak) = d.MemoryMb();
        (now - first).Should().BeLessThan(150, $"eight more decodes (RSS {first:0} → {now:0} MB, peak {peak:0} MB)");
        (peak - first).Should().BeLessThan(300, "a 20 M pixel image is never held whole (80 MB as RGBA)");
        await d.SurvivedAsync(d.Stdio, id);
    }

    [Fact(Timeout = 120_000)]
    public async Task The_daemons_pixel_limit_is_a_setting()
    {
        var (d, id) = await Daemon.StdioWithModelAsync("--max-image-pixels", "4095");
        await using (d)
        {
            // The sample images are 64x64 = 4096 pixels.
            var error = await d.Stdio!.CallExpectingErrorAsync(Methods.Predict, new PredictParams(id, d.Image()), Daemon.Patience);
            error.Code.Should().Be(ErrorCodes.BadImage);
            error.Message.Should().Contain("4,096 pixels, more than the limit of 4,095");
            d.Alive.Should().BeTrue();
        }
    }

    private static string Write(Daemon d, string name, byte[] bytes)
    {
        var path = Path.Combine(d.Workspace, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
