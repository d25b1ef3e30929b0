using System.Text.Json;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// <c>unitscope/attack</c> through the real daemon (<c>unitscope serve</c> as a child process, the real engine and cache) on
/// the sample SmallCNN: the attacked image within ε, the changed units with their maps, the overlaps with the rankings of
/// an image folder with the model's classes, progress, and errors that name the parameter while the daemon serves on.
/// </summary>
public class AttackRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    private static byte[] Rgb(string base64)
    {
        using var bitmap = SKBitmap.Decode(Convert.FromBase64String(base64));
        var bytes = new byte[bitmap.Width * bitmap.Height * 3];
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                int o = (y * bitmap.Width + x) * 3;
                (bytes[o], bytes[o + 1], bytes[o + 2]) = (c.Red, c.Green, c.Blue);
            }
        return bytes;
    }

    [Fact]
    public async Task An_attack_round_trips_with_its_units_maps_and_the_classes_rankings()
    {
        var root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "attack-" + Guid.NewGuid().ToString("N"));
        var folder = Path.Combine(root, "shapes");
        foreach (var sample in Directory.GetFiles(RepoPaths.Get("samples", "images"), "*.png"))
        {
            string dir = Directory.CreateDirectory(Path.Combine(folder, Path.GetFileNameWithoutExtension(sample))).FullName;
            for (int copy = 0; copy < 2; copy++)
                File.Copy(sample, Path.Combine(dir, $"{copy}.png"));
        }
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = Path.Combine(root, "cache") });
        var client = daemon.Client;
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, Capabilities: JsonSerializer.SerializeToElement(new { window = new { workDoneProgress = true } })), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);

            var token = JsonSerializer.SerializeToElement("attack");
            var request = new AttackParams(model.ModelId, "conv4", RepoPaths.Get("samples", "images", "circle.png"), Method: "fgsm", Epsilon: 0.1,
                TargetClass: "cross", Top: 8, MapUnits: 2, EvaluationSet: folder, WorkDoneToken: token);
            var result = await client.CallAsync<AttackResult>(Methods.Attack, request, Slow);

            result.EpsilonLevels.Should().Be(25);
            result.TargetClass.Should().Be(3);
            result.MaxChange.Should().BeInRange(1, 25);
            byte[] clean = Rgb(result.CleanPng), attacked = Rgb(result.AttackedPng);
            clean.Length.Should().Be(result.Width * result.Height * 3);
            clean.Zip(attacked, (a, b) => Math.Abs(a - b)).Max().Should().Be(result.MaxChange, "the PNG holds the attacked bytes");
            Rgb(result.PerturbationPng).Length.Should().Be(clean.Length);
            result.Units.Should().HaveCount(64);
            result.Units.Select(u => u.MeanAbsoluteChange).Should().BeInDescendingOrder();
            result.Units.Take(2).Should().OnlyContain(u => u.CleanMapPng != null && u.AttackedMapPng != null);
            result.Units.Skip(2).Should().OnlyContain(u => u.CleanMapPng == null);
            result.Overlaps.Select(o => o.Role).Should().Equal("source", "target");
            result.Overlaps[1].ClassName.Should().Be("cross");
            result.Overlaps.Should().OnlyContain(o => o.K == 8 && o.Shared.All(u => o.ChangedUnits.Contains(u) && o.ImportantUnits.Contains(u)));
            var messages = client.ProgressValues(token).Select(v => v.TryGetProperty("message", out var m) ? m.GetString() : null).ToList();
            messages.Should().Contain(m => m != null && m.StartsWith("attacking", StringComparison.Ordinal));

            // Errors name the parameter, and the daemon serves on.
            var method = await client.CallExpectingErrorAsync(Methods.Attack, request with { Method = "cw", WorkDoneToken = null }, Slow);
            (method.Code, method.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("method 'cw'"));
            var epsilon = await client.CallExpectingErrorAsync(Methods.Attack, request with { Epsilon = 0.001, WorkDoneToken = null }, Slow);
            (epsilon.Code, epsilon.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("epsilon"));
            var target = await client.CallExpectingErrorAsync(Methods.Attack, request with { TargetClass = "hexagon", WorkDoneToken = null }, Slow);
            (target.Code, target.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("targetClass 'hexagon'"));
            (await client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams(), Slow)).Models.Should().ContainSingle();
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
