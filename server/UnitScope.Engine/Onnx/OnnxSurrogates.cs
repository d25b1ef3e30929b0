using UnitScope.Engine.Layers.ReceptiveFields;
using static TorchSharp.torch;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// The ONNX counterpart of <see cref="ModuleSurrogates"/>: while alive, the outputs of 2D Conv, MaxPool and
/// AveragePool nodes, global pooling and activations carry their op's geometric gradient
/// (<see cref="SpatialOp.WithGeometricGradient"/>); every other node keeps its real gradient.
/// </summary>
sealed class OnnxSurrogates : IDisposable
{
    static readonly HashSet<string> Pointwise = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Softplus",
        "Softsign", "Clip", "BatchNormalization", "Dropout", "Identity", "LRN", "Gelu", "Mish", "ThresholdedRelu",
    };

    readonly OnnxModel _model;

    public OnnxSurrogates(OnnxModel model)
    {
        _model = model;
        model.StepHook = Replace;
    }

    static Tensor[] Replace(OnnxModel.Step step, Tensor?[] inputs, Tensor[] outputs)
    {
        if (step.Attributes is not { } node || outputs.Length == 0 || inputs.Length == 0 || inputs[0] is not { } x)
            return outputs;
        SpatialOp? op = node.OpType switch
        {
            "Conv" when inputs.Length > 1 && inputs[1] is { } w && w.dim() == 4 && x.dim() == 4 => Conv(node, x, w),
            "MaxPool" or "AveragePool" when x.dim() == 4 => Pool(node, x),
            "GlobalAveragePool" or "GlobalMaxPool" => AdaptivePoolOp.Instance,
            _ when Pointwise.Contains(node.OpType) => PointwiseOp.Instance,
            _ => null,
        };
        if (op is null) return outputs;
        var replaced = (Tensor[])outputs.Clone();
        replaced[0] = op.WithGeometricGradient(x, outputs[0]);
        return replaced;
    }

    static WindowOp Conv(NodeContext node, Tensor x, Tensor w)
    {
        long[] k = node.Ints("kernel_shape") ?? w.shape[2..];
        long[] s = node.Ints("strides") ?? [1, 1], d = node.Ints("dilations") ?? [1, 1];
        var (begin, end) = new OnnxOperators.SpatialPadding(node).For(x.shape[2..], k, s, d);
        return Window(k, s, begin, end, d, false);
    }

    static WindowOp Pool(NodeContext node, Tensor x)
    {
        var pooling = OnnxOperators.Pooling.From(node);
        var (s, d, begin, end) = pooling.For(x);
        return Window(pooling.Kernel, s, begin, end, d, pooling.CeilMode);
    }

    static WindowOp Window(long[] k, long[] s, long[] begin, long[] end, long[] d, bool ceil) =>
        new([.. k.Select(v => (int)v)], [.. s.Select(v => (int)v)], [.. begin.Select(v => (int)v)],
            [.. end.Select(v => (int)v)], [.. d.Select(v => (int)v)], ceil);

    public void Dispose() => _model.StepHook = null;
}
