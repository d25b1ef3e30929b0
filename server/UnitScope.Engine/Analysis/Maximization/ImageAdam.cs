using TorchSharp;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Maximization;

/// <summary>
/// Adam on one tensor (the image being optimised), computing what <c>torch.optim.Adam</c> (and TorchSharp's
/// <c>optim.Adam</c>) computes without amsgrad, op for op: <c>d = g + wd·p; m = β₁m + (1−β₁)d; v = β₂v + (1−β₂)d²;
/// p −= (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε)</c>. Written here, as the demo's
/// <see cref="Demo.MomentumSgd"/>, because TorchSharp's step passes its numbers as temporary Scalars that a garbage
/// collection on another thread (the daemon draws progress and serves requests meanwhile) can finalise during the
/// native call (see <see cref="Scalars"/>); here each is held for the length of the step. The gradient is given to
/// <see cref="Step"/> (from <c>autograd.grad</c>) rather than read from <c>.grad</c>.
/// </summary>
internal sealed class ImageAdam : IDisposable
{
    readonly Tensor _parameter, _average, _averageSquare;
    readonly Scalar _beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon, _weightDecay;
    readonly double _learningRate, _b1, _b2;
    readonly bool _decays;
    int _step;

    public ImageAdam(Tensor parameter, double learningRate, double weightDecay = 0, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _parameter = parameter;
        _average = zeros_like(parameter).DetachFromDisposeScope();
        _averageSquare = zeros_like(parameter).DetachFromDisposeScope();
        _learningRate = learningRate;
        _b1 = beta1;
        _b2 = beta2;
        _beta1 = beta1;
        _oneMinusBeta1 = 1 - beta1;
        _beta2 = beta2;
        _oneMinusBeta2 = 1 - beta2;
        _epsilon = epsilon;
        _weightDecay = weightDecay;
        _decays = weightDecay != 0;
    }

    /// <summary>One step against <paramref name="gradient"/> (the loss's: to maximise, pass the negated gradient).</summary>
    public void Step(Tensor gradient)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        _step++;
        double correction1 = 1 - Math.Pow(_b1, _step), correction2 = 1 - Math.Pow(_b2, _step);
        using Scalar minusStepSize = -(_learningRate / correction1);
        using Scalar root2 = Math.Sqrt(correction2);
        var d = _decays ? gradient.add(_parameter, _weightDecay) : gradient;
        _average.mul_(_beta1).add_(d, _oneMinusBeta1);
        _averageSquare.mul_(_beta2).addcmul_(d, d, _oneMinusBeta2);
        var denominator = _averageSquare.sqrt().div_(root2).add_(_epsilon);
        _parameter.addcdiv_(_average, denominator, minusStepSize);
    }

    public void Dispose()
    {
        _average.Dispose();
        _averageSquare.Dispose();
        foreach (var s in (Scalar[])[_beta1, _oneMinusBeta1, _beta2, _oneMinusBeta2, _epsilon, _weightDecay]) s.Dispose();
    }
}
