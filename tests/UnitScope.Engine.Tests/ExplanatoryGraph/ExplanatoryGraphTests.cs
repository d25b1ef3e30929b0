using UnitScope.Engine.Analysis.ExplanatoryGraph;
using Xunit.Abstractions;

namespace UnitScope.Engine.Tests.ExplanatoryGraph;

/// <summary>
/// The explanatory graph on a network whose part detectors are known by construction (<see cref="PartPatternNetwork"/>):
/// mining must find the object at the top, the red and blue parts below it at their displacements, and leave the
/// green texture and the stray red squares (no stable relation to the object) out of the part nodes.
/// </summary>
public sealed class ExplanatoryGraphTests(ITestOutputHelper output, PartPatternNetwork network) : IClassFixture<PartPatternNetwork>
{
    const int Images = 40;
    const double Pixel = 1.0 / PartPatternNetwork.Size;

    static readonly GraphOptions Options = new() { Layers = ["conv3", "conv2"] };

    static ExplanatoryGraphResult? _graph;
    static readonly Lock Gate = new();

    ExplanatoryGraphResult Graph(PartPatternNetwork network)
    {
        lock (Gate)
            return _graph ??= ExplanatoryGraphAnalysis.Run(network.Session, new PartPatternNetwork.Images(Images), Options);
    }

    PartPatternNetwork Network => network;

    /// <summary>The object's nodes: conv3 filter 0 (a filter's patterns are position-specific, so the jittered object
    /// may be held by several).</summary>
    static List<GraphNode> ObjectNodes(ExplanatoryGraphResult graph) => [.. graph.Layers[0].Nodes.Where(n => n.Filter == 0)];

    /// <summary>The nodes of a conv2 filter whose every edge to an object node has the expected displacement (± 1.5 px).</summary>
    static List<GraphNode> PartNodes(ExplanatoryGraphResult graph, int filter, double expected)
    {
        var objects = ObjectNodes(graph).Select(n => n.Id).ToHashSet();
        var layer = graph.Layers[1];
        return [.. layer.Nodes.Where(n => n.Filter == filter).Where(n =>
        {
            var edges = layer.Edges.Where(e => e.Child == n.Id && objects.Contains(e.Parent)).ToList();
            return edges.Count > 0 && edges.All(e => Math.Abs(e.Dx - expected * Pixel) <= 1.5 * Pixel && Math.Abs(e.Dy - expected * Pixel) <= 1.5 * Pixel);
        })];
    }

    const double RedOffset = -PartPatternNetwork.PartOffset / 2.0, BlueOffset = PartPatternNetwork.PartOffset / 2.0;

    void Print(ExplanatoryGraphResult graph)
    {
        foreach (var layer in graph.Layers)
        {
            output.WriteLine($"{layer.Name}: {layer.Nodes.Count} nodes, {layer.Edges.Count} edges, explained {layer.ExplainedShare:P1}");
            foreach (var node in layer.Nodes)
                output.WriteLine($"  #{node.Id} f{node.Filter}p{node.Pattern} at ({node.X / Pixel:F1}, {node.Y / Pixel:F1}) px σ={node.Spread / Pixel:F1} px freq={node.Frequency:F2} " +
                    string.Join(" ", layer.Edges.Where(e => e.Child == node.Id).Select(e => $"[→#{e.Parent} w={e.Weight:F2} d=({e.Dx / Pixel:F1},{e.Dy / Pixel:F1})]")));
        }
    }

    [Fact]
    public void The_object_is_at_the_top_and_its_parts_hang_below_it_at_their_displacements()
    {
        var graph = Graph(Network);
        Print(graph);
        graph.Layers[0].Nodes.Should().OnlyContain(n => n.Filter == 0, "conv3's other filters are zero");
        ObjectNodes(graph).Sum(n => n.Frequency).Should().BeGreaterThanOrEqualTo(0.95, "the object is in every image, and one of its nodes takes its peak");
        foreach (var (filter, expected) in new[] { (0, RedOffset), (1, BlueOffset) })
        {
            var parts = PartNodes(graph, filter, expected);
            parts.Sum(n => n.Frequency).Should().BeGreaterThanOrEqualTo(0.9, $"filter {filter}'s part is in every image, {expected} px from the object on both axes");
            parts.Should().OnlyContain(n => n.Spread <= 2.5 * Pixel, "the part's position given the object's is exact up to the maps' cells");
            var layer = graph.Layers[1];
            parts.Sum(n => layer.Edges.Where(e => e.Child == n.Id).Sum(e => e.Weight) * n.Frequency).Should().BeGreaterThan(0.8,
                "the part fires with the object at that displacement on nearly every image");
        }
    }

    [Fact]
    public void The_red_part_nodes_fire_on_the_objects_red_square_not_on_the_stray_one()
    {
        var graph = Graph(Network);
        var parts = PartNodes(graph, 0, RedOffset).Select(n => n.Id).ToHashSet();
        var images = new PartPatternNetwork.Images(Images);
        int onPart = 0, onStray = 0;
        for (int i = 0; i < Images; i++)
        {
            var scene = images.SceneOf(i);
            foreach (var firing in ExplanatoryGraphAnalysis.Infer(Network.Session, graph, images.Load(i)).Layers[1].Firing.Where(f => parts.Contains(f.Node)))
            {
                double cx = scene.RedX + PartPatternNetwork.Blob / 2.0, cy = scene.RedY + PartPatternNetwork.Blob / 2.0;
                if (Math.Abs(firing.X / Pixel - cx) <= 3 && Math.Abs(firing.Y / Pixel - cy) <= 3) onPart++;
                else if (scene.StrayX is { } sx && Math.Abs(firing.X / Pixel - sx - 3) <= 3 && Math.Abs(firing.Y / Pixel - scene.StrayY!.Value - 3) <= 3) onStray++;
            }
        }
        output.WriteLine($"on the part: {onPart}/{Images}, on the stray square: {onStray}");
        onPart.Should().BeGreaterThanOrEqualTo(36);
        onStray.Should().Be(0);
    }

    [Fact]
    public void The_green_texture_has_no_stable_relation_to_the_object()
    {
        var graph = Graph(Network);
        var red = PartNodes(graph, 0, RedOffset);
        var green = graph.Layers[1].Nodes.Where(n => n.Filter == 2).ToList();
        output.WriteLine($"spread: red parts {string.Join(", ", red.Select(n => (n.Spread / Pixel).ToString("F1")))} px, " +
            $"green {string.Join(", ", green.Select(n => (n.Spread / Pixel).ToString("F1")))} px");
        green.Should().OnlyContain(n => n.Spread >= 2.5 * red.Max(r => r.Spread), "a green square is anywhere relative to the object");
    }

    [Fact]
    public void Inference_on_a_training_image_finds_what_mining_found_there()
    {
        var graph = Graph(Network);
        var images = new PartPatternNetwork.Images(Images);
        foreach (int i in new[] { 0, 7, 21 })
        {
            var inference = ExplanatoryGraphAnalysis.Infer(Network.Session, graph, images.Load(i));
            for (int l = 0; l < graph.Layers.Count; l++)
                foreach (var node in graph.Layers[l].Nodes)
                {
                    var patch = node.Patches.FirstOrDefault(p => p.Image == i);
                    if (patch is null) continue;
                    var firing = inference.Layers[l].Firing.Single(f => f.Node == node.Id);
                    firing.X.Should().BeApproximately(patch.X, 1e-9);
                    firing.Y.Should().BeApproximately(patch.Y, 1e-9);
                    firing.Strength.Should().BeApproximately(patch.Strength, 1e-6 * patch.Strength);
                }
        }
    }

    [Fact]
    public void The_explained_share_is_the_part_nodes_activation_over_all()
    {
        var graph = Graph(Network);
        foreach (var layer in graph.Layers)
        {
            layer.ExplainedShare.Should().BeInRange(0, 1);
            layer.ExplainedShare.Should().BeApproximately(layer.FilterExplained.Sum() / layer.FilterEnergy.Sum(), 1e-12);
        }
        // conv2: blue is only ever a part; a third of the red squares are strays (every other image has one).
        var parts = graph.Layers[1];
        (parts.FilterExplained[1] / parts.FilterEnergy[1]).Should().BeGreaterThan(0.9);
        (parts.FilterExplained[0] / parts.FilterEnergy[0]).Should().BeGreaterThan(0.6);
    }
}
