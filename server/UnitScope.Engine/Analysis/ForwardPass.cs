using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis;

/// <summary>
/// What one forward pass of a batch produced: the model's output [N, …] and the captured outputs of
/// the requested layers [N, units, …], on the model's device, valid only inside the callback that
/// receives them.
/// </summary>
public sealed record ForwardPass(Tensor Output, IReadOnlyDictionary<string, Tensor> Activations);
