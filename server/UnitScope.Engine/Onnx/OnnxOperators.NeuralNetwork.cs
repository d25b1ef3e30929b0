using TorchSharp;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Onnx;

/// <summary>Convolutions, pooling, normalisation, dense layers and activations.</summary>
static partial class OnnxOperators
{
    static void RegisterNeuralNetwork()
    {
        Register("Conv", Conv);
        Register("ConvTranspose", ConvTranspose);
        Register("MaxPool", MaxPool);
        Register("AveragePool", AveragePool);
        Register("GlobalAveragePool", _ => inputs =>
        {
            var x = In(inputs, 0);
            return One(x.dim() == 4
                ? F.adaptive_avg_pool2d(x, [1, 1])
                : x.mean([.. Enumerable.Range(2, (int)x.dim() - 2).Select(d => (long)d)], keepdim: true));
        });
        Register("GlobalMaxPool", _ => inputs =>
        {
            var x = In(inputs, 0);
            return One(x.amax([.. Enumerable.Range(2, (int)x.dim() - 2).Select(d => (long)d)], keepdim: true));
        });
        Register("BatchNormalization", BatchNormalization);
        Register("InstanceNormalization", c =>
        {
            double eps = c.Float("epsilon", 1e-5f);
            return inputs => One(F.instance_norm(In(inputs, 0), weight: In(inputs, 1), bias: In(inputs, 2), eps: eps));
        });
        Register("Gemm", Gemm);
        Register("MatMul", _ => inputs => One(In(inputs, 0).matmul(Align(In(inputs, 1), In(inputs, 0)))));
        Register("Dropout", Dropout);

        Register("Relu", _ => inputs => One(F.relu(In(inputs, 0))));
        Register("Sigmoid", _ => inputs => One(In(inputs, 0).sigmoid()));
        Register("Tanh", _ => inputs => One(In(inputs, 0).tanh()));
        Register("LeakyRelu", c =>
        {
            Scalar alpha = c.Float("alpha", 0.01f); // held by the kernel (see Scalars)
            return inputs => One(In(inputs, 0).leaky_relu(alpha));
        });
        Register("Elu", c =>
        {
            Scalar alpha = c.Float("alpha", 1f);
            return inputs => One(In(inputs, 0).elu(alpha, Scalars.One, Scalars.One));
        });
        Register("Selu", c =>
        {
            Scalar alpha = c.Float("alpha", 1.67326319217681884765625f), gamma = c.Float("gamma", 1.05070102214813232421875f);
            return inputs =>
            {
                var x = In(inputs, 0);
                using var scope = torch.NewDisposeScope();
                return One(torch.where(x.gt(Scalars.Zero), x, x.expm1().mul(alpha)).mul(gamma).MoveToOuterDisposeScope());
            };
        });
        Register("PRelu", _ => inputs =>
        {
            var x = In(inputs, 0);
            var slope = Align(In(inputs, 1), x);
            using var scope = torch.NewDisposeScope();
            return One(torch.where(x.ge(Scalars.Zero), x, x.mul(slope)).MoveToOuterDisposeScope());
        });
        Register("HardSigmoid", c =>
        {
            Scalar alpha = c.Float("alpha", 0.2f), beta = c.Float("beta", 0.5f);
            return inputs =>
            {
                using var scope = torch.NewDisposeScope();
                return One(In(inputs, 0).mul(alpha).add(beta, Scalars.One).clamp(Scalars.Zero, Scalars.One).MoveToOuterDisposeScope());
            };
        });
        Register("HardSwish", _ => inputs => One(F.hardswish(In(inputs, 0))));
        Register("Softplus", _ => inputs => One(F.softplus(In(inputs, 0))));
        Register("Clip", Clip);
        Register("Softmax", c => SoftmaxLike(c, log: false));
        Register("LogSoftmax", c => SoftmaxLike(c, log: true));
    }

    static Kernel Conv(NodeContext c)
    {
        var padding = new SpatialPadding(c);
        long groups = c.Int("group", 1);
        long[]? strides = c.Ints("strides"), dilations = c.Ints("dilations"), kernelShape = c.Ints("kernel_shape");
        if (groups < 1) throw c.Invalid($"group {groups} must be at least 1");
        return inputs =>
        {
            var x = In(inputs, 0);
            var w = In(inputs, 1);
            var b = inputs.Length > 2 ? inputs[2] : null;
            int n = (int)x.dim() - 2;
            if (n is < 1 or > 3 || w.dim() != x.dim())
                throw new OnnxProblem($"input {OnnxTensors.Shape(x.shape)} and weight {OnnxTensors.Shape(w.shape)} do not make a 1D, 2D or 3D convolution");
            if (w.shape[1] * groups != x.shape[1])
                throw new OnnxProblem($"weight {OnnxTensors.Shape(w.shape)} with group {groups} expects {w.shape[1] * groups} input channels, the input has {x.shape[1]} ({OnnxTensors.Shape(x.shape)})");
            long[] s = strides ?? Repeat(1, n), d = dilations ?? Repeat(1, n), k = kernelShape ?? w.shape[2..];
            var (begin, end) = padding.For(SpatialShape(x), k, s, d);
            Tensor? padded = null;
            if (!begin.SequenceEqual(end))
            {
                padded = F.pad(x, TorchPads(begin, end));
                x = padded;
                begin = new long[n];
            }
            try
            {
                return One(n switch
                {
                    1 => F.conv1d(x, w, b, s[0], begin[0], d[0], groups),
                    2 => F.conv2d(x, w, b, s, begin, d, groups),
                    _ => F.conv3d(x, w, b, s, begin, d, groups),
                });
            }
            finally
            {
                padded?.Dispose();
            }
        };
    }

    static Kernel ConvTranspose(NodeContext c)
    {
        string autoPad = c.String("auto_pad", "NOTSET");
        long groups = c.Int("group", 1);
        long[]? strides = c.Ints("strides"), dilations = c.Ints("dilations"), pads = c.Ints("pads"),
            outputPadding = c.Ints("output_padding"), outputShape = c.Ints("output_shape");
        if (autoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER"))
            throw c.Invalid($"auto_pad '{autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        return inputs =>
        {
            var x = In(inputs, 0);
            var w = In(inputs, 1);
            var b = inputs.Length > 2 ? inputs[2] : null;
            int n = (int)x.dim() - 2;
            if (n is < 1 or > 3 || w.dim() != x.dim())
                throw new OnnxProblem($"input {OnnxTensors.Shape(x.shape)} and weight {OnnxTensors.Shape(w.shape)} do not make a 1D, 2D or 3D transposed convolution");
            if (w.shape[0] != x.shape[1])
                throw new OnnxProblem($"weight {OnnxTensors.Shape(w.shape)} expects {w.shape[0]} input channels, the input has {x.shape[1]}");
            long[] s = strides ?? Repeat(1, n), d = dilations ?? Repeat(1, n), k = w.shape[2..];
            long[] extra = outputPadding ?? new long[n];
            long[] begin = new long[n], end = new long[n];
            var inSize = SpatialShape(x);
            if (outputShape is not null || autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                // total padding from the wanted output size (spec: SAME_UPPER puts the extra at the end)
                long[] wanted = outputShape is not null ? outputShape[^n..] : [.. inSize.Select((v, i) => v * s[i])];
                for (int i = 0; i < n; i++)
                {
                    long total = s[i] * (inSize[i] - 1) + extra[i] + ((k[i] - 1) * d[i] + 1) - wanted[i];
                    if (total < 0) { extra[i] -= total; total = 0; }
                    bool upper = autoPad != "SAME_LOWER";
                    begin[i] = upper ? total / 2 : total - total / 2;
                    end[i] = total - begin[i];
                }
            }
            else if (pads is not null && autoPad != "VALID")
            {
                if (pads.Length != 2 * n) throw new OnnxProblem($"pads {OnnxTensors.Shape(pads)} do not fit {n} spatial dimensions");
                begin = pads[..n];
                end = pads[n..];
            }
            // torch pads both sides alike: use the smaller side, then crop what is left of the larger.
            long[] common = [.. begin.Zip(end, Math.Min)];
            var y = n switch
            {
                1 => F.conv_transpose1d(x, w, b, s[0], common[0], extra[0], d[0], groups),
                2 => F.conv_transpose2d(x, w, b, s, common, extra, d, groups),
                _ => F.conv_transpose3d(x, w, b, s, common, extra, d, groups),
            };
            if (begin.SequenceEqual(end))
                return One(y);
            using (y)
            {
                long[] crop = TorchPads([.. begin.Select((v, i) => -(v - common[i]))], [.. end.Select((v, i) => -(v - common[i]))]);
                return One(F.pad(y, crop));
            }
        };
    }

    /// <summary>Pooling parameters shared by MaxPool and AveragePool (ONNX defaults: strides 1).</summary>
    internal sealed record Pooling(long[] Kernel, long[]? Strides, long[]? Dilations, SpatialPadding Padding, bool CeilMode)
    {
        public static Pooling From(NodeContext c)
        {
            var kernel = c.Ints("kernel_shape") ?? throw c.Invalid("attribute 'kernel_shape' is required");
            if (kernel.Length is < 1 or > 3 || kernel.Any(k => k < 1))
                throw c.Invalid($"kernel_shape {OnnxTensors.Shape(kernel)} is not 1 to 3 positive sizes");
            if (c.Opset < 10 && c.Has("ceil_mode"))
                throw c.Invalid("ceil_mode needs opset 10");
            return new Pooling(kernel, c.Ints("strides"), c.Ints("dilations"), new SpatialPadding(c), c.Int("ceil_mode", 0) != 0);
        }

        public (long[] Strides, long[] Dilations, long[] Begin, long[] End) For(Tensor x)
        {
            int n = Kernel.Length;
            if (x.dim() != n + 2)
                throw new OnnxProblem($"a {n}D pooling needs a {n + 2}D input, got {OnnxTensors.Shape(x.shape)}");
            long[] s = Strides ?? Repeat(1, n), d = Dilations ?? Repeat(1, n);
            var (begin, end) = Padding.For(SpatialShape(x), Kernel, s, d);
            return (s, d, begin, end);
        }

        /// <summary>Whether torch's symmetric padding can express these pads (at most half the effective kernel).</summary>
        public bool TorchCanPad(long[] begin, long[] end, long[] dilations) =>
            begin.SequenceEqual(end) && begin.Select((p, i) => p <= ((Kernel[i] - 1) * dilations[i] + 1) / 2).All(ok => ok);
    }

    static Kernel MaxPool(NodeContext c)
    {
        var pooling = Pooling.From(c);
        if (c.Node.Output.Count > 1 && c.Node.Output[1].Length > 0)
            throw c.Unsupported("its Indices output is not supported");
        if (c.Int("storage_order", 0) != 0)
            throw c.Unsupported("storage_order 1 is not supported");
        return inputs =>
        {
            var x = In(inputs, 0);
            var (s, d, begin, end) = pooling.For(x);
            Tensor? padded = null;
            if (!pooling.TorchCanPad(begin, end, d))
            {
                padded = F.pad(x, TorchPads(begin, end), value: double.NegativeInfinity);
                x = padded;
                begin = new long[begin.Length];
            }
            try
            {
                return One(pooling.Kernel.Length switch
                {
                    1 => F.max_pool1d(x, pooling.Kernel[0], s[0], begin[0], d[0], pooling.CeilMode),
                    2 => F.max_pool2d(x, pooling.Kernel, s, begin, d, pooling.CeilMode),
                    _ => F.max_pool3d(x, pooling.Kernel, s, begin, d, pooling.CeilMode),
                });
            }
            finally
            {
                padded?.Dispose();
            }
        };
    }

    static Kernel AveragePool(NodeContext c)
    {
        var pooling = Pooling.From(c);
        bool countIncludePad = c.Int("count_include_pad", 0) != 0;
        if (pooling.Dilations is { } dil && dil.Any(v => v != 1))
            throw c.Unsupported("dilations other than 1 are not supported");
        Tensor Pool(Tensor x, long[] s, long[] pad, bool includePad) => pooling.Kernel.Length switch
        {
            1 => F.avg_pool1d(x, pooling.Kernel[0], s[0], pad[0], pooling.CeilMode, includePad),
            2 => F.avg_pool2d(x, pooling.Kernel, s, pad, pooling.CeilMode, includePad),
            _ => F.avg_pool3d(x, pooling.Kernel, s, pad, pooling.CeilMode, includePad),
        };
        return inputs =>
        {
            var x = In(inputs, 0);
            var (s, d, begin, end) = pooling.For(x);
            if (pooling.TorchCanPad(begin, end, d))
                return One(Pool(x, s, begin, countIncludePad));
            // Asymmetric pads: pad with zeros, then divide by the padded window's size or by the
            // number of real elements in it (the average of a mask of ones).
            long[] none = new long[begin.Length];
            using var scope = torch.NewDisposeScope();
            var padded = F.pad(x, TorchPads(begin, end));
            var sum = Pool(padded, s, none, true);
            if (countIncludePad)
                return One(sum.MoveToOuterDisposeScope());
            using var ones = torch.ones([1, 1, .. SpatialShape(x)], x.dtype, x.device);
            var fraction = Pool(F.pad(ones, TorchPads(begin, end)), s, none, true);
            return One((sum / fraction).MoveToOuterDisposeScope());
        };
    }

    static Kernel BatchNormalization(NodeContext c)
    {
        double epsilon = c.Float("epsilon", 1e-5f);
        if (c.Int("training_mode", 0) != 0)
            throw c.Unsupported("training_mode 1 is not supported (export the model in eval mode)");
        if (c.Node.Output.Skip(1).Any(o => o.Length > 0) && c.Opset >= 14)
            throw c.Unsupported("its running-statistics outputs are not supported");
        return inputs =>
        {
            var x = In(inputs, 0);
            return One(F.batch_norm(x, In(inputs, 3), In(inputs, 4), In(inputs, 1), In(inputs, 2), training: false, eps: epsilon));
        };
    }

    static Kernel Gemm(NodeContext c)
    {
        double alpha = c.Float("alpha", 1f), beta = c.Float("beta", 1f);
        bool transA = c.Int("transA", 0) != 0, transB = c.Int("transB", 0) != 0;
        Scalar alphaScalar = alpha, betaScalar = beta; // held by the kernel (see Scalars)
        return inputs =>
        {
            var a = In(inputs, 0);
            var b = In(inputs, 1);
            var bias = inputs.Length > 2 ? inputs[2] : null;
            if (a.dim() != 2 || b.dim() != 2)
                throw new OnnxProblem($"Gemm takes 2D inputs, got {OnnxTensors.Shape(a.shape)} and {OnnxTensors.Shape(b.shape)}");
            long inner = transA ? a.shape[0] : a.shape[1], other = transB ? b.shape[1] : b.shape[0];
            if (inner != other)
                throw new OnnxProblem($"A {OnnxTensors.Shape(a.shape)}{(transA ? "ᵀ" : "")} and B {OnnxTensors.Shape(b.shape)}{(transB ? "ᵀ" : "")} do not multiply");
            // nn.Linear's export: one fused call, as torch runs nn.Linear.
            if (alpha == 1 && beta == 1 && !transA && transB && (bias is null || bias.dim() == 1))
                return One(F.linear(a, b, bias));
            using var scope = torch.NewDisposeScope();
            var y = (transA ? a.t() : a).matmul(transB ? b.t() : b);
            if (alpha != 1) y = y.mul(alphaScalar);
            if (bias is not null) y = y.add(bias, betaScalar);
            return One(y.MoveToOuterDisposeScope());
        };
    }

    static Kernel Dropout(NodeContext c)
    {
        if (c.Opset >= 12 && c.Constant(2) is { } training && NodeContext.Ints(training).Any(v => v != 0))
            throw c.Unsupported("training_mode true is not supported (export the model in eval mode)");
        bool mask = c.Node.Output.Count > 1 && c.Node.Output[1].Length > 0;
        return inputs =>
        {
            var x = In(inputs, 0);
            return mask ? [x.alias(), torch.ones_like(x, ScalarType.Bool)] : One(x.alias());
        };
    }

    static Kernel Clip(NodeContext c)
    {
        if (c.Opset < 11)
        {
            Scalar min = c.Float("min", float.NegativeInfinity), max = c.Float("max", float.PositiveInfinity);
            return inputs => One(In(inputs, 0).clamp(min, max));
        }
        var constMin = c.Constant(1);
        var constMax = c.Constant(2);
        if ((!c.HasInput(1) || constMin is not null) && (!c.HasInput(2) || constMax is not null))
        {
            Scalar? min = constMin is null ? null : NodeContext.Doubles(constMin)[0];
            Scalar? max = constMax is null ? null : NodeContext.Doubles(constMax)[0];
            return inputs => One(In(inputs, 0).clamp(min, max));
        }
        return inputs =>
        {
            var x = In(inputs, 0);
            var min = inputs.Length > 1 ? inputs[1] : null;
            var max = inputs.Length > 2 ? inputs[2] : null;
            return One(x.clamp(min is null ? null : Align(min, x), max is null ? null : Align(max, x)));
        };
    }

    /// <summary>
    /// Softmax/LogSoftmax. Before opset 13 the input is coerced to 2D at <c>axis</c> (default 1) and
    /// normalised over everything after it; from 13 over the one axis (default −1).
    /// </summary>
    static Kernel SoftmaxLike(NodeContext c, bool log)
    {
        bool coerce = c.Opset < 13;
        long axis = c.Int("axis", coerce ? 1 : -1);
        Tensor Apply(Tensor t, long dim) => log ? F.log_softmax(t, dim) : F.softmax(t, dim);
        return inputs =>
        {
            var x = In(inputs, 0);
            long rank = x.dim();
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= Math.Max(rank, 1))
                throw new OnnxProblem($"axis {axis} is out of range for {OnnxTensors.Shape(x.shape)}");
            if (!coerce || a == rank - 1)
                return One(Apply(x, a));
            long outer = x.shape[..(int)a].Aggregate(1L, (p, v) => p * v);
            using var flat = x.reshape(outer, -1);
            using var y = Apply(flat, 1);
            return One(y.reshape(x.shape));
        };
    }
}
