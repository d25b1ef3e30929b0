using System.Text.Json;
using SkiaSharp;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// The explanatory graph through the real daemon (<c>unitscope serve</c> as a child process, the real engine and cache) on
/// the sample SmallCNN over one class of an image folder: the graph, its progress phases, the cache, a node's patches,
/// and errors that name the parameter while the daemon serves on.
/// </summary>
public class GraphRoundTripTests
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task The_graph_of_one_class_round_trips_is_cached_and_gives_its_nodes_patches()
    {
        var root = Path.Combine(Path.GetTempPath(), "unitscope-tests", "graph-" + Guid.NewGuid().ToString("N"));
        // A folder whose class names the model does not know: a category is any class folder.
        var folder = Path.Combine(root, "images");
        Directory.CreateDirectory(Path.Combine(folder, "shapes"));
        Directory.CreateDirectory(Path.Combine(folder, "other"));
        var samples = Directory.GetFiles(RepoPaths.Get("samples", "images"), "*.png").Order(StringComparer.Ordinal).ToList();
        for (int copy = 0; copy < 2; copy++)
            foreach (var sample in samples)
                File.Copy(sample, Path.Combine(folder, "shapes", $"{copy}-{Path.GetFileName(sample)}"));
        File.Copy(samples[0], Path.Combine(folder, "other", "one.png"));
        await using var daemon = DaemonProcess.Start(new Dictionary<string, string> { ["UNITSCOPE_CACHE"] = Path.Combine(root, "cache") });
        var client = daemon.Client;
        try
        {
            await client.CallAsync<InitializeResult>(Methods.Initialize,
                new InitializeParams(ProcessId: Environment.ProcessId, Capabilities: JsonSerializer.SerializeToElement(new { window = new { workDoneProgress = true } })), Slow);
            await client.NotifyAsync(Methods.Initialized, new { });
            var model = await client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(RepoPaths.Get("samples", "smallcnn.pth")), Slow);

            var token = JsonSerializer.SerializeToElement("graph");
            var request = new ExplanatoryGraphParams(model.ModelId, ["conv4", "conv3"], folder, "shapes", Iterations: 4, WorkDoneToken: token);
            var graph = await client.CallAsync<ExplanatoryGraphResult>(Methods.ExplanatoryGraph, request, Slow);
            graph.Cached.Should().BeFalse();
            graph.Images.Should().Be(2 * samples.Count, "only the class's images");
            graph.Layers.Select(l => l.Name).Should().Equal("conv4", "conv3");
            graph.Layers[0].Nodes.Should().NotBeEmpty();
            graph.Layers[0].Edges.Should().BeEmpty("the top layer has no parents");
            var ids = graph.Layers[0].Nodes.Select(n => n.Id).ToHashSet();
            graph.Layers[1].Edges.Should().NotBeEmpty().And.OnlyContain(e => ids.Contains(e.Parent));
            foreach (var layer in graph.Layers)
            {
                layer.ByGroup.Sum(g => g.Share).Should().BeApproximately(layer.Explained, 1e-9);
                layer.LabelSource.Should().BeNull("no dissection in this cache");
            }
            using (var chart = SKBitmap.Decode(Convert.FromBase64String(graph.ChartPng)))
                (chart.Width, chart.Height).Should().Be((graph.ChartWidth, graph.ChartHeight));
            var messages = client.ProgressValues(token).Select(v => v.TryGetProperty("message", out var m) ? m.GetString() : null).ToList();
            messages.Should().Contain(m => m != null && m.StartsWith("activation peaks", StringComparison.Ordinal));
            messages.Should().Contain(m => m != null && m.StartsWith("mining the layers", StringComparison.Ordinal));

            var again = await client.CallAsync<ExplanatoryGraphResult>(Methods.ExplanatoryGraph, request with { WorkDoneToken = null }, Slow);
            again.Cached.Should().BeTrue();

            var node = graph.Layers[1].Nodes.MaxBy(n => n.Frequency)!;
            var patches = await client.CallAsync<GraphNodeResult>(Methods.GraphNode, new GraphNodeParams(request with { WorkDoneToken = null }, node.Id), Slow);
            patches.Layer.Should().Be("conv3");
            patches.Node.Should().Be(node);
            patches.Patches.Should().NotBeEmpty().And.HaveCountLessThanOrEqualTo(6);
            patches.Patches.Should().OnlyContain(p => p.Image.StartsWith(Path.Combine(folder, "shapes"), StringComparison.Ordinal));
            patches.Patches.Select(p => p.Strength).Should().BeInDescendingOrder();
            using (var patch = SKBitmap.Decode(Convert.FromBase64String(patches.Patches[0].PatchPng)))
                patch.Should().NotBeNull();

            // Errors name the parameter, and the daemon serves on.
            var order = await client.CallExpectingErrorAsync(Methods.ExplanatoryGraph, request with { Layers = ["conv3", "conv4"], WorkDoneToken = null }, Slow);
            (order.Code, order.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("top down"));
            var few = await client.CallExpectingErrorAsync(Methods.ExplanatoryGraph, request with { ClassName = "other", WorkDoneToken = null }, Slow);
            (few.Code, few.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("at least 3"));
            var unknown = await client.CallExpectingErrorAsync(Methods.ExplanatoryGraph, request with { ClassName = "dogs", WorkDoneToken = null }, Slow);
            (unknown.Code, unknown.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("'dogs'"));
            var notCached = await client.CallExpectingErrorAsync(Methods.GraphNode, new GraphNodeParams(request with { Iterations = 5, WorkDoneToken = null }, 0), Slow);
            (notCached.Code, notCached.Message).Should().Match<(int Code, string Message)>(e => e.Code == ErrorCodes.InvalidArgument && e.Message.Contains("not in the cache"));
            (await client.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams(), Slow)).Models.Should().ContainSingle();
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
