using TorchSharp;
using static TorchSharp.torch;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// ONNX operators (default domain, opsets 9–17) as TorchSharp ops. Each factory reads its node's
/// attributes and constant inputs once, at load, and returns the <see cref="Kernel"/> that runs it.
/// Semantics follow the ONNX operator specification of the opset the model imports.
/// </summary>
static partial class OnnxOperators
{
    static readonly Dictionary<string, Func<NodeContext, Kernel>> Factories = new(StringComparer.Ordinal);

    static OnnxOperators()
    {
        RegisterNeuralNetwork();
        RegisterTensorOps();
        RegisterResize();
    }

    /// <summary>Operator types the interpreter runs, sorted.</summary>
    public static IReadOnlyList<string> Supported => [.. Factories.Keys.Order(StringComparer.Ordinal)];

    public static bool IsSupported(string opType) => Factories.ContainsKey(opType);

    /// <exception cref="OnnxProblem">an unsupported operator or attribute.</exception>
    public static Kernel Create(NodeContext context) =>
        Factories.TryGetValue(context.OpType, out var factory)
            ? factory(context)
            : throw context.Unsupported("this operator is not supported");

    static void Register(string opType, Func<NodeContext, Kernel> factory) => Factories.Add(opType, factory);

    static Tensor[] One(Tensor t) => [t];

    /// <summary>The input at <paramref name="index"/>; an error for a missing required input.</summary>
    static Tensor In(Tensor?[] inputs, int index) =>
        index < inputs.Length && inputs[index] is { } t ? t : throw new OnnxProblem($"required input {index} is missing");

    /// <summary><paramref name="operand"/> on <paramref name="like"/>'s device (shape values live on the CPU).</summary>
    static Tensor Align(Tensor operand, Tensor like) =>
        operand.device_type == like.device_type && operand.device_index == like.device_index ? operand : operand.to(like.device);

    static long Normalize(long axis, long rank, NodeContext c) =>
        axis >= -rank && axis < rank ? (axis + rank) % rank : throw c.Invalid($"axis {axis} is out of range for rank {rank}");

    static long[] Repeat(long value, int count) => Enumerable.Repeat(value, count).ToArray();

    /// <summary>torch's pad list (last dimension first) from ONNX begin/end pads of the trailing dimensions.</summary>
    static long[] TorchPads(long[] begin, long[] end)
    {
        var pads = new long[begin.Length * 2];
        for (int i = 0; i < begin.Length; i++)
        {
            pads[2 * i] = begin[begin.Length - 1 - i];
            pads[2 * i + 1] = end[begin.Length - 1 - i];
        }
        return pads;
    }

    /// <summary>
    /// Begin and end padding of each spatial dimension for Conv and pooling: explicit pads, VALID,
    /// or SAME_UPPER/SAME_LOWER from the input size (ONNX's auto_pad).
    /// </summary>
    internal sealed class SpatialPadding
    {
        readonly string _autoPad;
        readonly long[]? _pads;

        public SpatialPadding(NodeContext c)
        {
            _autoPad = c.String("auto_pad", "NOTSET");
            _pads = c.Ints("pads");
            if (_autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
                throw c.Invalid($"auto_pad '{_autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
            if (_pads is not null && (_pads.Length % 2 != 0 || _pads.Any(p => p < 0)))
                throw c.Invalid($"pads {OnnxTensors.Shape(_pads)} must be non-negative begin/end pairs");
        }

        public (long[] Begin, long[] End) For(long[] inputSpatial, long[] kernel, long[] strides, long[] dilations)
        {
            int n = inputSpatial.Length;
            if (_autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                var begin = new long[n];
                var end = new long[n];
                for (int i = 0; i < n; i++)
                {
                    long outSize = (inputSpatial[i] + strides[i] - 1) / strides[i];
                    long total = Math.Max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inputSpatial[i]);
                    begin[i] = _autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    end[i] = total - begin[i];
                }
                return (begin, end);
            }
            if (_autoPad == "VALID" || _pads is null)
                return (new long[n], new long[n]);
            if (_pads.Length != 2 * n)
                throw new OnnxProblem($"pads {OnnxTensors.Shape(_pads)} do not fit {n} spatial dimensions");
            return (_pads[..n], _pads[n..]);
        }
    }

    static long[] SpatialShape(Tensor x) => x.shape[2..];

    /// <summary>Most elements one node may create from a shape it computes (a file must not make us allocate gigabytes).</summary>
    const long MaxCreatedElements = 1L << 28;

    static long[] CheckCreated(long[] shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new OnnxProblem($"negative shape {OnnxTensors.Shape(shape)}");
            count = d == 0 ? 0 : count > MaxCreatedElements / d ? MaxCreatedElements + 1 : count * d;
        }
        return count <= MaxCreatedElements ? shape : throw new OnnxProblem($"shape {OnnxTensors.Shape(shape)} would create more than {MaxCreatedElements} elements");
    }
}
