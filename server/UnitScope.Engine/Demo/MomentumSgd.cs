using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnitScope.Engine.Demo;

/// <summary>
/// SGD with momentum and weight decay for training the demo model, computing what <c>torch.optim.SGD</c>
/// (and TorchSharp's <c>optim.SGD</c>) computes with dampening 0 and no Nesterov, op for op:
/// <c>d = grad + wd·p; buf = d (first step) or momentum·buf + d; p −= lr·buf</c>. Written here rather than
/// using TorchSharp's because its step passes weight decay, momentum and −lr as temporary Scalars that a
/// garbage collection on another thread (the CLI draws progress while training) can finalise during the
/// native call (see <see cref="Runtime.Scalars"/>); here every number is held for the length of the step.
/// </summary>
internal sealed class MomentumSgd : IDisposable
{
    readonly Parameter[] _parameters;
    readonly Tensor?[] _buffers;
    readonly Scalar _weightDecay, _momentum;

    public MomentumSgd(IEnumerable<Parameter> parameters, double learningRate, double momentum, double weightDecay)
    {
        _parameters = [.. parameters];
        _buffers = new Tensor?[_parameters.Length];
        _momentum = momentum;
        _weightDecay = weightDecay;
        LearningRate = learningRate;
    }

    /// <summary>The step size of the next <see cref="Step"/> (a schedule sets it between steps).</summary>
    public double LearningRate { get; set; }

    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    public void Step()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using Scalar minusLearningRate = -LearningRate;
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var grad = p.grad;
            if (grad is null) continue;
            var d = grad.add(p, _weightDecay);
            if (_buffers[i] is not { } buffer)
                _buffers[i] = buffer = d.clone().detach().DetachFromDisposeScope();
            else
                buffer.mul_(_momentum).add_(d, Runtime.Scalars.One);
            p.add_(buffer, minusLearningRate);
        }
    }

    /// <summary>The cosine schedule's step size after <paramref name="step"/> of <paramref name="steps"/>
    /// (<c>CosineAnnealingLR</c> with η_min 0, in closed form): <c>base·(1 + cos(π·step/steps))/2</c>.</summary>
    public static double Cosine(double baseRate, int step, int steps) =>
        baseRate * (1 + Math.Cos(Math.PI * Math.Min(step, steps) / steps)) / 2;

    public void Dispose()
    {
        foreach (var b in _buffers) b?.Dispose();
        _weightDecay.Dispose();
        _momentum.Dispose();
    }
}
