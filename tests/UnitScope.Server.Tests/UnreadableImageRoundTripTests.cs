using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// The real daemon (a child process, the real engine) on an image folder with a truncated PNG and a text file
/// named .png among the sample images: ablation, ranking and unit statistics succeed without them, say how many
/// were left out and why, and the daemon serves on; so does a dissection over a Broden-format folder with a cut image.
/// </summary>
public class UnreadableImageRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(2);
    private static readonly string[] Classes = ["circle", "square", "triangle", "cross"];

    [Fact]
    public async Task Analyses_leave_unreadable_images_out_and_say_which()
    {
        var root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "unreadable-" + Guid.NewGuid().ToString("N"));
        var folder = Path.Combine(root, "eval");
        foreach (var name in Classes)
        {
            Directory.CreateDirectory(Path.Combine(folder, name));
            File.Copy(RepoPaths.Get("samples", "images", $"{name}.png"), Path.Combine(folder, name, "a.png"));
            File.Copy(RepoPaths.Get("samples", "images", $"{name}.png"), Path.Combine(folder, name, "b.png"));
        }
        byte[] png = File.ReadAllBytes(RepoPaths.Get("samples", "images", "circle.png"));
        string truncated = Path.Combine(folder, "circle", "c.png");
        File.WriteAllBytes(truncated, png[..(png.Length / 2)]);
        string notes = Path.Combine(folder, "square", "notes.png");
        File.WriteAllText(notes, "not an image");

        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = Path.Combine(root, "cache") });
        var client = daemon.Client;
        string Context() => $"\n--- daemon stderr ---\n{daemon.Stderr[^Math.Min(4000, daemon.Stderr.Length)..]}";
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize, new InitializeParams(ProcessId: Environment.ProcessId), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);

            var ablation = await client.CallAsync<AblateResult>(Methods.Ablate,
                new AblateParams(model.ModelId, "conv3", [0, 1, 2], folder, RandomControl: false), Slow);
            ablation.ImageCount.Should().Be(8, Context());
            ablation.Skipped.Should().NotBeNull();
            ablation.Skipped!.Count.Should().Be(2);
            ablation.Skipped.Problems.Should().HaveCount(2)
                .And.Contain(p => p.Contains(truncated) && p.Contains("truncated"))
                .And.Contain(p => p.Contains(notes));

            var ranking = await client.CallAsync<RankUnitsResult>(Methods.RankUnits,
                new RankUnitsParams(model.ModelId, "conv3", 0, Top: 2, RandomDraws: 1, EvaluationSet: folder), Slow);
            ranking.ImageCount.Should().Be(2, "circle's two readable images");
            ranking.Skipped!.Count.Should().Be(1);
            ranking.Skipped.Problems.Single().Should().Contain(truncated);

            var stats = await client.CallAsync<UnitClassStatsResult>(Methods.UnitClassStats,
                new UnitClassStatsParams(model.ModelId, "conv3", 0, 0, folder), Slow);
            (stats.InClass.Count + stats.Rest.Count).Should().Be(8);
            stats.Skipped!.Count.Should().Be(2);

            // Dissection over a Broden-format folder whose JPEG is cut short: the two other images are dissected.
            string broden = Path.Combine(root, "broden");
            foreach (string file in Directory.GetFiles(RepoPaths.Get("tests", "fixtures", "broden_mini"), "*", SearchOption.AllDirectories))
            {
                string target = Path.Combine(broden, Path.GetRelativePath(RepoPaths.Get("tests", "fixtures", "broden_mini"), file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            string cut = Path.Combine(broden, "images", "dtd", "b.jpg");
            File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..20]);
            var dissection = await client.CallAsync<DissectResult>(Methods.Dissect, new DissectParams(model.ModelId, ["conv3"], broden), Slow);
            var layer = dissection.Layers.Single();
            layer.ImageCount.Should().Be(2, Context());
            layer.Skipped!.Count.Should().Be(1);
            layer.Skipped.Problems.Single().Should().Contain("b.jpg");

            // A folder with readable images only says nothing about skipping.
            File.Delete(truncated);
            File.Delete(notes);
            var clean = await client.CallAsync<AblateResult>(Methods.Ablate,
                new AblateParams(model.ModelId, "conv3", [0, 1, 2], folder, RandomControl: false), Slow);
            clean.Skipped.Should().BeNull();
            clean.ImageCount.Should().Be(8);

            (await client.RequestAsync(Methods.Shutdown, null, Slow)).TryGetProperty("error", out _).Should().BeFalse();
            await client.NotifyAsync(Methods.Exit, null);
            (await daemon.WaitForExitAsync(Slow)).Should().Be(0, Context());
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
