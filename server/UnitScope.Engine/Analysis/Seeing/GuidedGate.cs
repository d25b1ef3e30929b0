using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// Guided backpropagation's gate, put on each ReLU's output (an <see cref="OutputEdit"/> for the one pass): the
/// identity going forward; going back, only positive gradients pass. The ReLU's own backward then keeps the positions
/// it let through, so the gradient reaching the ReLU's input is (x &gt; 0) · max(gradient, 0), guided backpropagation's
/// rule (Springenberg et al., "Striving for simplicity", 2015). A gate on an output gated already changes nothing.
/// </summary>
sealed class GuidedGate : autograd.SingleTensorFunction<GuidedGate>
{
    public override string Name => nameof(GuidedGate);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars) => ((Tensor)vars[0]).clone();

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output) => [grad_output.clamp_min(Scalars.Zero)];

    public static Tensor Apply(Tensor output) => apply(output);
}
