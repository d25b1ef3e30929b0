namespace UnitScope.Engine.Analysis.ExplanatoryGraph;

/// <summary>
/// The explanatory graph's parameters; everything but <see cref="BatchSize"/> is part of the cache key. The
/// defaults are the paper's where it gives one (20 EM iterations, 15 parents per node); the rest bound memory
/// and say what counts as a peak.
/// </summary>
public sealed record GraphOptions
{
    /// <summary>The conv layers to mine, from the top down (the deepest first): the graph has one layer per entry.</summary>
    public IReadOnlyList<string> Layers { get; init; } = [];

    /// <summary>Patterns (nodes) each filter may hold: a filter's map is a mixture of this many part patterns
    /// (nodes that never fire are dropped). The released code sizes it by the map's area; a count bounds the work.</summary>
    public int PatternsPerFilter { get; init; } = 3;

    /// <summary>Parents in the layer above kept per node (the paper's M = 15).</summary>
    public int ParentsPerNode { get; init; } = 15;

    /// <summary>EM iterations per layer (the paper's T = 20).</summary>
    public int Iterations { get; init; } = 20;

    /// <summary>Activation peaks kept per image and filter (the strongest local maxima): memory is images × filters × this.</summary>
    public int PeaksPerMap { get; init; } = 5;

    /// <summary>A peak counts when its value is at least this share of the filter's largest peak over the images.</summary>
    public double PeakThreshold { get; init; } = 0.1;

    /// <summary>Nodes firing on fewer than this share of the images are dropped after their layer is mined.</summary>
    public double MinFrequency { get; init; } = 0.05;

    /// <summary>Images kept per node as its patches (where it fires most strongly).</summary>
    public int PatchesPerNode { get; init; } = 6;

    /// <summary>Images per forward pass (speed and memory only).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Fewest images the method accepts: a displacement is "stable across images" only over several.</summary>
    public const int MinImages = 3;
}

/// <summary>Where a graph run is: <see cref="AnalysisPhase.Peaks"/> (images) or <see cref="AnalysisPhase.Mining"/> (iterations of all layers).</summary>
public sealed record GraphProgress(AnalysisPhase Phase, int Done, int Total);

/// <summary>A position on the model's input, in shares of its width (X, to the right) and height (Y, down): 0–1.</summary>
public readonly record struct GraphPoint(double X, double Y);

/// <summary>One image where a node fires: the image's index in the set, the node's position there and its strength.</summary>
public sealed record NodePatch(int Image, double X, double Y, double Strength);

/// <summary>
/// One part pattern of one filter (a node): where it fires on average (<see cref="X"/>, <see cref="Y"/>, in shares
/// of the input), how far its position strays from where its parents predict (<see cref="Spread"/>, same unit), the
/// share of the images it fires on and its mean strength there (the filter's activation at its peak), and the images
/// where it fires most strongly.
/// </summary>
public sealed record GraphNode(int Id, string Layer, int Filter, int Pattern, double X, double Y, double Spread,
    double Frequency, double MeanStrength, IReadOnlyList<NodePatch> Patches);

/// <summary>
/// An edge from a node (<see cref="Child"/>) to one of its parents in the layer above: the child sits at the parent's
/// position plus (<see cref="Dx"/>, <see cref="Dy"/>) (shares of the input), and <see cref="Weight"/> (0–1) is the
/// share of the child's firing strength that co-occurs with the parent at that displacement.
/// </summary>
public sealed record GraphEdge(int Child, int Parent, double Weight, double Dx, double Dy);

/// <summary>
/// One layer of the graph: its nodes, the edges to the layer above (none for the top one), and how much of the
/// layer's activation the nodes account for (<see cref="ExplainedShare"/>: the positive activation around the peaks
/// the nodes fire on, over all positive activation of the layer on the images). Per filter, the largest peak over the
/// images (<see cref="FilterPeakMax"/>: what inference on a new image measures peaks against) and that filter's
/// positive activation, all of it and the part the nodes explain (for a split by the filters' concepts).
/// </summary>
public sealed record GraphLayer(string Name, int Filters, int Height, int Width, IReadOnlyList<GraphNode> Nodes,
    IReadOnlyList<GraphEdge> Edges, double ExplainedShare, IReadOnlyList<float> FilterPeakMax,
    IReadOnlyList<double> FilterEnergy, IReadOnlyList<double> FilterExplained);

/// <summary>The explanatory graph of a model's layers over a set of images of one category.</summary>
public sealed record ExplanatoryGraphResult(
    string CheckpointHash,
    /// <summary>The image set's content hash (what the cache key holds).</summary>
    string DatasetHash,
    string DatasetName,
    GraphOptions Options,
    /// <summary>The images, in the order <see cref="NodePatch.Image"/> counts.</summary>
    IReadOnlyList<string> Images,
    /// <summary>The graph's layers from the top down, as <see cref="GraphOptions.Layers"/> lists them.</summary>
    IReadOnlyList<GraphLayer> Layers)
{
    /// <summary>The algorithm's version: bump it when a change gives other graphs (part of the cache key).</summary>
    public const int AlgorithmVersion = 1;
}

/// <summary>A node firing on one image: where (shares of the input) and how strongly.</summary>
public sealed record NodeFiring(int Node, double X, double Y, double Strength);

/// <summary>What the graph finds on one image: the nodes that fire per layer and the share of each layer's activation they explain.</summary>
public sealed record GraphInference(IReadOnlyList<LayerInference> Layers);

/// <summary>One layer's firing nodes on an image and the share of its positive activation they explain.</summary>
public sealed record LayerInference(string Layer, IReadOnlyList<NodeFiring> Firing, double ExplainedShare);
