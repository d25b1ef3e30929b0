namespace UnitScope.Engine.Layers;

/// <summary>
/// One addressable layer: its dotted PyTorch name (as in <c>named_modules()</c>), the module kind
/// (Conv2d, ReLU, BasicBlock, …), its number of units (output channels or features) and the
/// output shape for one input image, without the batch dimension ([C,H,W] or [F]).
/// </summary>
public sealed record LayerInfo(string Name, string Kind, int Units, IReadOnlyList<int> OutputShape);
