using TorchSharp;
using TorchSharp.Modules;
using UnitScope.Engine.Layers.ReceptiveFields;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// Zeiler &amp; Fergus's deconvnet (2014, §2.1) over a chain of modules (<see cref="DeconvChain"/>). The forward pass
/// runs the chain module by module, recording each max-pooling's switches (where each maximum came from,
/// <c>max_pool2d_with_indices</c>). Then, per image, one activation of the last module's output is kept (every other
/// set to zero) and taken back through the chain in reverse: unpooling puts each value at its switch (summed where
/// overlapping windows share one), ReLU is applied to the reconstruction (not the forward pass's mask: that is what
/// sets it apart from a gradient), and a convolution is undone by its transposed filters (<c>conv_transpose2d</c>
/// with the layer's own weights, no bias). Average pooling spreads evenly; batch norm (eval) scales each channel by
/// its weight / √(running var + ε); dropout passes.
/// </summary>
public static class Deconvnet
{
    /// <param name="input">[N, C, H, W], preprocessed, on the chain's device.</param>
    /// <param name="targets">Per image: the unit and position of the last module's output to project.</param>
    /// <returns>[N, C, H, W]: each image's projection (in the caller's dispose scope).</returns>
    public static Tensor Project(IReadOnlyList<nn.Module<Tensor, Tensor>> chain, Tensor input, IReadOnlyList<(int Unit, int Y, int X)> targets)
    {
        if (targets.Count != input.shape[0])
            throw new ArgumentException($"One target per image: {targets.Count} for {input.shape[0]} images.");
        using var noGrad = torch.no_grad();
        var inputs = new Tensor[chain.Count];
        var switches = new Tensor?[chain.Count];
        var x = input;
        for (int i = 0; i < chain.Count; i++)
        {
            inputs[i] = x;
            if (chain[i] is MaxPool2d pool)
            {
                var op = (WindowOp)ModuleOps.Of(pool)!;
                var (values, indices) = F.max_pool2d_with_indices(x, Longs(op.Kernel), Longs(op.Stride), Longs(op.PadBegin), Longs(op.Dilation), op.CeilMode);
                switches[i] = indices;
                x = values;
            }
            else
            {
                x = chain[i].call(x);
            }
        }

        // Each image's one activation, every other value zero.
        var z = torch.zeros_like(x);
        for (int n = 0; n < targets.Count; n++)
        {
            var (unit, y, column) = targets[n];
            z[n, unit, y, column] = x[n, unit, y, column];
        }
        for (int i = chain.Count - 1; i >= 0; i--)
            z = Backward(chain[i], z, inputs[i], switches[i]);
        return z;
    }

    /// <summary>The deconvnet's step back through one module: from a map shaped like its output to one shaped like its input.</summary>
    internal static Tensor Backward(nn.Module<Tensor, Tensor> module, Tensor z, Tensor input, Tensor? switches) => module switch
    {
        ReLU => F.relu(z),
        Conv2d conv => Transposed(conv, z, input),
        MaxPool2d => Unpool(z, switches!, input.shape),
        AvgPool2d pool => AveragePoolBack(pool, z, input),
        BatchNorm2d norm => Scale(norm, z),
        _ => z, // dropout (eval), identity, adaptive pooling to the same size
    };

    /// <summary>Unpooling: each value to the input position its maximum came from; values sharing one position add up.</summary>
    public static Tensor Unpool(Tensor pooled, Tensor switches, long[] inputShape)
    {
        using var scope = torch.NewDisposeScope();
        long n = inputShape[0], c = inputShape[1];
        var planes = torch.zeros([n, c, inputShape[2] * inputShape[3]], pooled.dtype, pooled.device);
        planes.scatter_add_(2, switches.reshape(n, c, -1), pooled.reshape(n, c, -1));
        return planes.reshape(inputShape).MoveToOuterDisposeScope();
    }

    static Tensor Transposed(Conv2d conv, Tensor z, Tensor input)
    {
        var op = (WindowOp)ModuleOps.Of(conv)!;
        long[] outputPadding = new long[2];
        for (int a = 0; a < 2; a++)
        {
            // What conv_transpose2d gives without output padding, and the rows/columns the forward pass dropped.
            long produced = (z.shape[2 + a] - 1) * op.Stride[a] - 2L * op.PadBegin[a] + (long)op.Dilation[a] * (op.Kernel[a] - 1) + 1;
            outputPadding[a] = input.shape[2 + a] - produced;
        }
        return F.conv_transpose2d(z, conv.weight!, null, Longs(op.Stride), Longs(op.PadBegin), outputPadding, Longs(op.Dilation), conv.groups);
    }

    static Tensor AveragePoolBack(AvgPool2d pool, Tensor z, Tensor input) =>
        F.avg_pool2d_backward(z, input, pool.kernel_size, pool.stride ?? pool.kernel_size, pool.padding ?? [0, 0], pool.ceil_mode,
            pool.count_include_pad, pool.divisor_override);

    static Tensor Scale(BatchNorm2d norm, Tensor z)
    {
        using var scope = torch.NewDisposeScope();
        using var eps = Scalars.Of(norm.eps);
        var scale = norm.running_var!.add(eps).rsqrt();
        if (norm.weight is { } weight) scale = scale.mul(weight);
        return z.mul(scale.reshape(1, -1, 1, 1)).MoveToOuterDisposeScope();
    }

    static long[] Longs(int[] values) => [.. values.Select(v => (long)v)];
}
