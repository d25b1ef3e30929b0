using TorchSharp;
using TorchSharp.Modules;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Layers.ReceptiveFields;

/// <summary>
/// What a module or graph op does to space, as far as receptive fields care: a sliding window
/// (<see cref="WindowOp"/>: convolution, max or average pooling), nothing (<see cref="PointwiseOp"/>:
/// activations, batch norm, dropout), or something else.
/// </summary>
public abstract record SpatialOp
{
    /// <summary>
    /// A tensor equal to <paramref name="output"/> whose gradient with respect to <paramref name="input"/> is the op's
    /// geometry only: every position of the window counts 1 (no weights, no max-pool switch, no ReLU mask), so the
    /// gradient of a unit is non-zero exactly on its theoretical receptive field.
    /// </summary>
    public abstract Tensor WithGeometricGradient(Tensor input, Tensor output);

    /// <summary><paramref name="output"/>'s values with <paramref name="carrier"/>'s gradient (carrier has output's shape, values ignored).</summary>
    protected static Tensor Carry(Tensor output, Tensor carrier) =>
        output.detach().add(carrier.add(carrier.detach(), Scalars.MinusOne), Scalars.One);
}

/// <summary>Changes no position: each output value depends on the input value at the same place.</summary>
public sealed record PointwiseOp : SpatialOp
{
    public static readonly PointwiseOp Instance = new();

    public override Tensor WithGeometricGradient(Tensor input, Tensor output) =>
        input.shape.SequenceEqual(output.shape) ? Carry(output, input) : output;
}

/// <summary>
/// A 2D sliding window: kernel, stride, dilation and the padding before the first row/column (the padding after
/// the last only changes how many units there are). <see cref="PadEnd"/> is the padding after, for the geometric
/// gradient's own convolution; ceil-mode pooling adds up to a stride more there.
/// </summary>
public sealed record WindowOp(int[] Kernel, int[] Stride, int[] PadBegin, int[] PadEnd, int[] Dilation, bool CeilMode) : SpatialOp
{
    public FieldAxis Apply(FieldAxis field, int axis) => field.Then(Kernel[axis], Stride[axis], PadBegin[axis], Dilation[axis]);

    public ReceptiveField Apply(ReceptiveField field) => new(Apply(field.Rows, 0), Apply(field.Columns, 1));

    public override Tensor WithGeometricGradient(Tensor input, Tensor output)
    {
        if (input.dim() != 4 || output.dim() != 4) return output;
        using var scope = torch.NewDisposeScope();
        // The channels summed, padded as the op pads, then an all-ones window: the window's footprint.
        var summed = input.sum([1L], keepdim: true);
        long extraRows = CeilMode ? Stride[0] - 1 : 0, extraColumns = CeilMode ? Stride[1] - 1 : 0;
        var padded = F.pad(summed, [PadBegin[1], PadEnd[1] + extraColumns, PadBegin[0], PadEnd[0] + extraRows]);
        using var ones = torch.ones([1, 1, Kernel[0], Kernel[1]], input.dtype, input.device);
        var footprint = F.conv2d(padded, ones, null, [Stride[0], Stride[1]], [0, 0], [Dilation[0], Dilation[1]]);
        long height = output.shape[2], width = output.shape[3];
        if (footprint.shape[2] < height || footprint.shape[3] < width) return output.alias().MoveToOuterDisposeScope();
        var carrier = footprint[.., .., ..(int)height, ..(int)width].expand(output.shape);
        return Carry(output, carrier).MoveToOuterDisposeScope();
    }
}

/// <summary>Adaptive pooling: bins that depend on the input's size (PyTorch's start ⌊i·in/out⌋, end ⌈(i+1)·in/out⌉).</summary>
public sealed record AdaptivePoolOp : SpatialOp
{
    public static readonly AdaptivePoolOp Instance = new();

    public override Tensor WithGeometricGradient(Tensor input, Tensor output)
    {
        if (input.dim() != 4 || output.dim() != 4) return output;
        using var scope = torch.NewDisposeScope();
        var carrier = F.adaptive_avg_pool2d(input.sum([1L], keepdim: true), [output.shape[2], output.shape[3]]).expand(output.shape);
        return Carry(output, carrier).MoveToOuterDisposeScope();
    }
}

/// <summary>The spatial ops of TorchSharp's built-in modules (the zoo's, and those a user's C# model is made of).</summary>
public static class ModuleOps
{
    /// <summary>Module kinds that act on each position alone (in eval mode).</summary>
    static readonly HashSet<string> Pointwise = new(StringComparer.Ordinal)
    {
        "BatchNorm1d", "BatchNorm2d", "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU",
        "SiLU", "Mish", "Sigmoid", "Tanh", "Hardtanh", "Hardswish", "Hardsigmoid", "Softplus", "Softsign", "Tanhshrink",
        "Threshold", "LogSigmoid", "Dropout", "Dropout2d", "AlphaDropout", "FeatureAlphaDropout", "Identity",
        "LocalResponseNorm",
    };

    /// <summary>What <paramref name="module"/> does to space, or null when it is none of the known kinds.</summary>
    public static SpatialOp? Of(nn.Module module) => module switch
    {
        Convolution { transposed: false } conv when conv.kernel_size.Length == 2 => Conv(conv),
        MaxPool2d pool => Window(pool.kernel_size, pool.stride, pool.padding, pool.dilation, pool.ceil_mode),
        AvgPool2d pool => Window(pool.kernel_size, pool.stride, pool.padding, null, pool.ceil_mode),
        AdaptiveAvgPool2d or AdaptiveMaxPool2d => AdaptivePoolOp.Instance,
        _ when Pointwise.Contains(module.GetType().Name) => PointwiseOp.Instance,
        _ => null,
    };

    static WindowOp Conv(Convolution conv)
    {
        long[] kernel = conv.kernel_size, dilation = Pair(conv.dilation, 1);
        if (conv.padding_type == TorchSharp.Padding.Same)
        {
            // PyTorch's padding='same': the total (dilation·(kernel−1)) split with the smaller half first.
            long[] total = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
            long[] begin = [total[0] / 2, total[1] / 2];
            return Window(kernel, Pair(conv.stride, 1), begin, dilation, false, [total[0] - begin[0], total[1] - begin[1]]);
        }
        return Window(kernel, conv.stride, conv.padding, dilation, false);
    }

    static WindowOp Window(long[] kernel, long[]? stride, long[]? padding, long[]? dilation, bool ceil, long[]? padEnd = null)
    {
        long[] k = Pair(kernel, 1), s = Pair(stride, -1), p = Pair(padding, 0), d = Pair(dilation, 1);
        if (s[0] < 0) s = k; // pooling: the stride defaults to the kernel
        long[] e = padEnd is null ? p : Pair(padEnd, 0);
        return new WindowOp([.. k.Select(v => (int)v)], [.. s.Select(v => (int)v)], [.. p.Select(v => (int)v)],
            [.. e.Select(v => (int)v)], [.. d.Select(v => (int)v)], ceil);
    }

    /// <summary>A setting as [rows, columns]: one value stands for both; none is <paramref name="fallback"/>.</summary>
    static long[] Pair(long[]? values, long fallback) => values switch
    {
        null or [] => [fallback, fallback],
        [var v] => [v, v],
        _ => [values[0], values[1]],
    };
}
