using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis;

/// <summary>
/// What one forward pass of a batch produced: the model's output [N, …] and the captured outputs of
/// the requested layers [N, units, …], on the model's device, valid only inside the callback that
/// receives them; <paramref name="Inputs"/>: the inputs of the layers asked for them, when any were.
/// </summary>
public sealed record ForwardPass(Tensor Output, IReadOnlyDictionary<string, Tensor> Activations, IReadOnlyDictionary<string, Tensor>? Inputs = null);
