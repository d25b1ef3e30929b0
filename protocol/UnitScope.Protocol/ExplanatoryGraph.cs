using System.Text.Json;

namespace UnitScope.Protocol;

// The explanatory graph (seed 002; Zhang et al., AAAI 2018): the part patterns a CNN's filters encode over images of one
// category, as nodes (a pattern of a filter) and edges (a stable displacement to a pattern of the layer above).

/// <summary>
/// <c>unitscope/explanatoryGraph</c>. Runs in the background with work-done progress (peaks, then mining) and
/// cancellation; results are cached (the CLI's <c>graph</c> shares them). Errors name the parameter: a layer without
/// spatial maps, layers not from the top down, a class with fewer than 3 images, an unknown class.
/// </summary>
/// <param name="Layers">Conv layers from the top down (the deepest first).</param>
/// <param name="EvaluationSet">"probe" (default) or the path of an ImageFolder.</param>
/// <param name="ClassName">The class (folder, or probe scene) whose images to mine; default: every image.</param>
/// <param name="PatternsPerFilter">Default 3.</param>
/// <param name="ParentsPerNode">Default 15 (the paper's M).</param>
/// <param name="Iterations">Default 20 (the paper's T).</param>
/// <param name="PeaksPerMap">Default 5.</param>
/// <param name="PeakThreshold">Default 0.1 of the filter's largest peak.</param>
/// <param name="MinFrequency">Default 0.05 of the images.</param>
public sealed record ExplanatoryGraphParams(
    string ModelId,
    IReadOnlyList<string> Layers,
    string? EvaluationSet = null,
    string? ClassName = null,
    int? PatternsPerFilter = null,
    int? ParentsPerNode = null,
    int? Iterations = null,
    int? PeaksPerMap = null,
    double? PeakThreshold = null,
    double? MinFrequency = null,
    int? BatchSize = null,
    JsonElement? WorkDoneToken = null);

/// <summary>A pattern: its filter, mean position and spread (shares of the input's width and height, 0–1), the share of the
/// images it fires on and its mean strength there.</summary>
public sealed record GraphNodeInfo(int Id, int Filter, int Pattern, double X, double Y, double Spread, double Frequency, double MeanStrength);

/// <summary>An edge from a node to a parent in the layer above: the child sits at the parent's position plus (Dx, Dy); the weight
/// (0–1) is the share of the child's strength that co-fires with the parent there.</summary>
public sealed record GraphEdgeInfo(int Child, int Parent, double Weight, double Dx, double Dy);

/// <summary>One group's share of a layer's positive activation explained by the nodes ("parts", "texture", "scene", "unlabelled").</summary>
public sealed record GraphShare(string Group, double Share);

/// <summary>One layer of the graph and how much of its activation its nodes explain, split by the filters' dissection labels.</summary>
/// <param name="LabelSource">The dissection the labels come from; null when the layer was not dissected (all "unlabelled").</param>
public sealed record GraphLayerInfo(
    string Name,
    int Filters,
    int Height,
    int Width,
    IReadOnlyList<GraphNodeInfo> Nodes,
    IReadOnlyList<GraphEdgeInfo> Edges,
    double Explained,
    IReadOnlyList<GraphShare> ByGroup,
    string? LabelSource = null);

/// <summary>The graph, top layer first.</summary>
/// <param name="ChartPng">Base64 PNG: a panel per layer, nodes at their mean positions sized by firing frequency.</param>
public sealed record ExplanatoryGraphResult(
    IReadOnlyList<GraphLayerInfo> Layers,
    int Images,
    string Dataset,
    string ChartPng,
    int ChartWidth,
    int ChartHeight,
    bool Cached = false);

/// <summary><c>unitscope/graphNode</c>: the graph named as for <c>unitscope/explanatoryGraph</c> (it must be cached: nothing is
/// mined here), and the node.</summary>
public sealed record GraphNodeParams(ExplanatoryGraphParams Graph, int NodeId);

/// <summary>An image where the node fires: the image's file, the node's position (shares of the input) and strength, and the
/// patch around it as the model saw it (a quarter of the input's side, base64 PNG).</summary>
public sealed record GraphPatch(string Image, double X, double Y, double Strength, string PatchPng);

/// <summary>The node with its layer and the patches where it fires most strongly.</summary>
public sealed record GraphNodeResult(string Layer, GraphNodeInfo Node, IReadOnlyList<GraphPatch> Patches);
