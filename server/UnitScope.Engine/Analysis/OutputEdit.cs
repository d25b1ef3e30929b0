using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis;

/// <summary>
/// For one forward pass (<see cref="ModelSession.ForwardBatch{T}(Tensor, IReadOnlyCollection{string}, Func{ForwardPass, T}, OutputEdit?)"/>):
/// <paramref name="Layer"/>'s output is replaced by <paramref name="Replace"/>(output).
/// </summary>
public sealed record OutputEdit(string Layer, Func<Tensor, Tensor> Replace);
