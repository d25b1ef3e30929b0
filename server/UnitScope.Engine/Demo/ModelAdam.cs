using TorchSharp.Modules;
using UnitScope.Engine.Analysis.Maximization;

namespace UnitScope.Engine.Demo;

/// <summary>
/// Adam over a model's parameters for the GAN demo's training (a VAE and a segmenter train far faster with Adam than
/// with <see cref="MomentumSgd"/>): <see cref="ImageAdam"/>'s update, with its held Scalars, once per parameter.
/// </summary>
internal sealed class ModelAdam(IEnumerable<Parameter> parameters, double learningRate) : IDisposable
{
    readonly (Parameter Parameter, ImageAdam Adam)[] _steps = [.. parameters.Select(p => (p, new ImageAdam(p, learningRate)))];

    public void ZeroGrad()
    {
        foreach (var (p, _) in _steps)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    public void Step()
    {
        foreach (var (p, adam) in _steps)
        {
            using var grad = p.grad;
            if (grad is not null) adam.Step(grad);
        }
    }

    public void Dispose()
    {
        foreach (var (_, adam) in _steps) adam.Dispose();
    }
}
