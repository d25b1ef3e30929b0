using UnitScope.Engine.Datasets;

namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>Mined layers to result records (ids top layer first, by filter then pattern), and back to nodes for inference.</summary>
public static class GraphResults
{
    public static ExplanatoryGraphResult Build(string checkpointHash, IImageSet images, GraphOptions options, IReadOnlyList<MinedLayer> mined)
    {
        var ids = new List<int[]>();
        int next = 0;
        foreach (var layer in mined)
            ids.Add([.. layer.Nodes.Select(_ => next++)]);
        var layers = new List<GraphLayer>();
        for (int l = 0; l < mined.Count; l++)
        {
            var layer = mined[l];
            var patternOf = new Dictionary<int, int>();
            var nodes = layer.Nodes.Select((node, k) =>
            {
                int pattern = patternOf[node.Filter] = patternOf.GetValueOrDefault(node.Filter, -1) + 1;
                var fired = Enumerable.Range(0, node.Images).Where(i => node.Strength[i] > 0).ToList();
                var patches = fired.OrderByDescending(i => node.Strength[i]).ThenBy(i => i).Take(options.PatchesPerNode)
                    .Select(i => new NodePatch(i, node.FiredX[i], node.FiredY[i], node.Strength[i])).ToList();
                return new GraphNode(ids[l][k], layer.Peaks.Name, node.Filter, pattern, node.X, node.Y, node.Sigma,
                    node.Frequency, fired.Count == 0 ? 0 : fired.Average(i => node.Strength[i]), patches);
            }).ToList();
            var edges = l == 0 ? [] : layer.Nodes.SelectMany((node, k) => node.Parents.Select(p =>
                new GraphEdge(ids[l][k], ids[l - 1][p.Upper], p.Weight, p.Dx, p.Dy))).ToList();
            var energy = layer.Peaks.Filters.Select(f => f.Energy.Sum()).ToArray();
            var explained = new double[layer.Peaks.Filters.Count];
            foreach (var node in layer.Nodes) explained[node.Filter] += node.Basin.Sum();
            double all = energy.Sum();
            layers.Add(new GraphLayer(layer.Peaks.Name, layer.Peaks.Filters.Count, layer.Peaks.Height, layer.Peaks.Width, nodes, edges,
                all > 0 ? explained.Sum() / all : 0, layer.FilterPeakMax, energy, explained));
        }
        return new ExplanatoryGraphResult(checkpointHash, images.ContentHash, images.Name, options,
            [.. Enumerable.Range(0, images.Count).Select(images.PathOf)], layers);
    }

    /// <summary>A result layer's nodes as pattern nodes for one image (parents indexed into the layer above through
    /// <paramref name="upperIndex"/>: node id → index there), and their ids.</summary>
    public static (List<PatternNode> Nodes, int[] Ids) Nodes(GraphLayer layer, IReadOnlyDictionary<int, int> upperIndex)
    {
        var parents = layer.Edges.GroupBy(e => e.Child).ToDictionary(g => g.Key, g => g.ToList());
        var nodes = layer.Nodes.Select(n => new PatternNode(n.Filter, n.X, n.Y, n.Spread, 1)
        {
            Parents = parents.TryGetValue(n.Id, out var edges)
                ? [.. edges.Select(e => new ParentLink(upperIndex[e.Parent], e.Dx, e.Dy, e.Weight))]
                : [],
        }).ToList();
        return (nodes, [.. layer.Nodes.Select(n => n.Id)]);
    }
}
