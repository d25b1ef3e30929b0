using TorchSharp;
using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Onnx;

/// <summary>Element-wise arithmetic, constants, and the shape operators exporters use for flatten/view.</summary>
static partial class OnnxOperators
{
    /// <summary>a + b with a held alpha (<c>a + b</c> on tensors passes a temporary Scalar; see <see cref="Scalars"/>).</summary>
    static Tensor Plus(Tensor a, Tensor b) => a.add(b, Scalars.One);

    static void RegisterTensorOps()
    {
        Register("Add", _ => Binary(Plus));
        Register("Sub", _ => Binary((a, b) => a.sub(b)));
        Register("Mul", _ => Binary((a, b) => a * b));
        Register("Div", _ => Binary((a, b) => torch.is_integral(a.dtype) ? a.div(b, RoundingMode.trunc) : a / b));
        Register("Pow", _ => Binary((a, b) => a.pow(b)));
        Register("Equal", _ => Binary((a, b) => a.eq(b)));
        Register("Less", _ => Binary((a, b) => a.lt(b)));
        Register("Greater", _ => Binary((a, b) => a.gt(b)));
        Register("Where", _ => inputs =>
        {
            var x = In(inputs, 1);
            return One(torch.where(Align(In(inputs, 0), x), x, Align(In(inputs, 2), x)));
        });
        Register("Not", _ => Unary(x => x.logical_not()));
        Register("Neg", _ => Unary(x => x.neg()));
        Register("Abs", _ => Unary(x => x.abs()));
        Register("Sqrt", _ => Unary(x => x.sqrt()));
        Register("Reciprocal", _ => Unary(x => x.reciprocal()));
        Register("Exp", _ => Unary(x => x.exp()));
        Register("Log", _ => Unary(x => x.log()));
        Register("Erf", _ => Unary(x => x.erf()));
        Register("Floor", _ => Unary(x => x.floor()));
        Register("Ceil", _ => Unary(x => x.ceil()));
        Register("Sum", _ => Variadic(Plus));
        Register("Max", _ => Variadic((a, b) => a.maximum(b)));
        Register("Min", _ => Variadic((a, b) => a.minimum(b)));
        Register("Mean", _ => inputs =>
        {
            var sum = Variadic(Plus)(inputs)[0];
            using Scalar count = Scalars.Of(inputs.Count(t => t is not null));
            using (sum) return One(sum.div(count));
        });

        Register("Identity", _ => Unary(x => x.alias()));
        Register("If", OnnxIf.Create);
        Register("Constant", Constant);
        Register("Cast", c =>
        {
            int to = (int)c.Int("to", 0);
            if (!OnnxTensors.TryScalarType(to, out var type))
                throw c.Unsupported($"casting to {OnnxTensors.TypeName(to)} is not supported");
            return Unary(x => x.to(type));
        });
        Register("Shape", Shape);
        Register("Size", _ => inputs => One(torch.tensor(In(inputs, 0).numel())));
        Register("ConstantOfShape", ConstantOfShape);
        Register("Gather", Gather);
        Register("Unsqueeze", c => Axes(c, "Unsqueeze", (x, axes) =>
        {
            long rank = x.dim() + axes.Length;
            var sorted = axes.Select(a => a < 0 ? a + rank : a).Order().ToArray();
            if (sorted.Any(a => a < 0 || a >= rank) || sorted.Distinct().Count() != sorted.Length)
                throw new OnnxProblem($"axes {OnnxTensors.Shape(axes)} do not fit an output of rank {rank}");
            var shape = x.shape.ToList();
            foreach (long a in sorted) shape.Insert((int)a, 1);
            return x.reshape([.. shape]);
        }));
        Register("Squeeze", c => Axes(c, "Squeeze", (x, axes) =>
        {
            long rank = x.dim();
            var drop = axes.Length == 0
                ? Enumerable.Range(0, (int)rank).Where(i => x.shape[i] == 1).Select(i => (long)i).ToHashSet()
                : axes.Select(a => a < 0 ? a + rank : a).ToHashSet();
            if (drop.Any(a => a < 0 || a >= rank || x.shape[a] != 1))
                throw new OnnxProblem($"cannot squeeze axes {OnnxTensors.Shape(axes)} of {OnnxTensors.Shape(x.shape)}");
            return x.reshape([.. x.shape.Where((_, i) => !drop.Contains(i))]);
        }));
        Register("Flatten", c =>
        {
            long axis = c.Int("axis", 1);
            return inputs =>
            {
                var x = In(inputs, 0);
                long rank = x.dim();
                long a = axis < 0 ? axis + rank : axis;
                if (a < 0 || a > rank) throw new OnnxProblem($"axis {axis} is out of range for {OnnxTensors.Shape(x.shape)}");
                long outer = x.shape[..(int)a].Aggregate(1L, (p, v) => p * v);
                return One(x.reshape(outer, outer == 0 ? 0 : -1));
            };
        });
        Register("Reshape", Reshape);
        Register("Concat", c =>
        {
            long axis = c.Has("axis") ? c.Int("axis", 0) : throw c.Invalid("attribute 'axis' is required");
            return inputs =>
            {
                var parts = inputs.Where(t => t is not null).Select(t => t!).ToList();
                if (parts.Count == 0) throw new OnnxProblem("Concat has no inputs");
                long rank = parts[0].dim();
                long a = axis < 0 ? axis + rank : axis;
                if (a < 0 || a >= rank) throw new OnnxProblem($"axis {axis} is out of range for rank {rank}");
                return One(torch.cat([.. parts.Select(p => Align(p, parts[0]))], a));
            };
        });
        Register("Split", Split);
        Register("Slice", Slice);
        Register("Transpose", c =>
        {
            long[]? perm = c.Ints("perm");
            return inputs =>
            {
                var x = In(inputs, 0);
                long[] p = perm ?? [.. Enumerable.Range(0, (int)x.dim()).Reverse().Select(i => (long)i)];
                return One(x.permute(p));
            };
        });
        Register("Expand", _ => inputs =>
        {
            var x = In(inputs, 0);
            var shape = NodeContext.Ints(In(inputs, 1));
            return One(x.expand(CheckCreated(Broadcast(x.shape, shape))));
        });
        Register("Range", _ => inputs =>
        {
            var start = In(inputs, 0);
            double from = NodeContext.Doubles(start)[0], to = NodeContext.Doubles(In(inputs, 1))[0], step = NodeContext.Doubles(In(inputs, 2))[0];
            if (step == 0 || !double.IsFinite(from + to + step)) throw new OnnxProblem("Range needs finite bounds and a non-zero step");
            CheckCreated([(long)Math.Max(0, Math.Ceiling((to - from) / step))]);
            return One(torch.arange(from, to, step, ScalarType.Float64).to(start.dtype));
        });
        Register("ReduceMean", c => Reduce(c, (x, axes, keep) => x.mean(axes, keep)));
        Register("ReduceSum", c => Reduce(c, (x, axes, keep) => x.sum(axes, keep)));
        Register("ReduceMax", c => Reduce(c, (x, axes, keep) => x.amax(axes, keep)));
        Register("ReduceMin", c => Reduce(c, (x, axes, keep) => x.amin(axes, keep)));
        Register("Pad", Pad);
    }

    static Kernel Unary(Func<Tensor, Tensor> op) => inputs => One(op(In(inputs, 0)));

    static Kernel Binary(Func<Tensor, Tensor, Tensor> op) => inputs =>
    {
        var a = In(inputs, 0);
        var b = In(inputs, 1);
        // Shape values live on the CPU; data on the model's device.
        return a.device_type == b.device_type && a.device_index == b.device_index
            ? One(op(a, b))
            : a.numel() >= b.numel() ? One(op(a, b.to(a.device))) : One(op(a.to(b.device), b));
    };

    static Kernel Variadic(Func<Tensor, Tensor, Tensor> op) => inputs =>
    {
        var parts = inputs.Where(t => t is not null).Select(t => t!).ToList();
        if (parts.Count == 0) throw new OnnxProblem("no inputs");
        if (parts.Count == 1) return One(parts[0].alias());
        using var scope = torch.NewDisposeScope();
        var result = op(parts[0], Align(parts[1], parts[0]));
        foreach (var p in parts.Skip(2)) result = op(result, Align(p, result));
        return One(result.MoveToOuterDisposeScope());
    };

    static long[] Broadcast(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long x = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            long y = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            shape[i] = x == 1 ? y : y == 1 || y == x ? x : throw new OnnxProblem($"shapes {OnnxTensors.Shape(a)} and {OnnxTensors.Shape(b)} do not broadcast");
        }
        return shape;
    }

    static Kernel Constant(NodeContext c)
    {
        Tensor value;
        if (c.TensorAttribute("value") is { } t) value = t;
        else if (c.Has("value_float")) value = torch.tensor(c.Float("value_float", 0));
        else if (c.Floats("value_floats") is { } fs) value = torch.tensor(fs);
        else if (c.Has("value_int")) value = torch.tensor(c.Int("value_int", 0));
        else if (c.Ints("value_ints") is { } ints) value = torch.tensor(ints);
        else if (c.Has("sparse_value")) throw c.Unsupported("sparse constants are not supported");
        else if (c.AttributeNames.Any(n => n.StartsWith("value_string", StringComparison.Ordinal))) throw c.Unsupported("string constants are not supported");
        else throw c.Invalid("it has no value attribute");
        value = value.DetachFromDisposeScope();
        return _ => One(value.alias());
    }

    static Kernel Shape(NodeContext c)
    {
        long? start = c.Opset >= 15 && c.Has("start") ? c.Int("start", 0) : null;
        long? end = c.Opset >= 15 && c.Has("end") ? c.Int("end", 0) : null;
        return inputs =>
        {
            var shape = In(inputs, 0).shape;
            long rank = shape.Length;
            long s = Math.Clamp(start is { } v ? (v < 0 ? v + rank : v) : 0, 0, rank);
            long e = Math.Clamp(end is { } w ? (w < 0 ? w + rank : w) : rank, 0, rank);
            return One(torch.tensor(e > s ? shape[(int)s..(int)e] : [], ScalarType.Int64));
        };
    }

    static Kernel ConstantOfShape(NodeContext c)
    {
        var value = c.TensorAttribute("value");
        double fill = value is null ? 0 : NodeContext.Doubles(value)[0];
        var type = value?.dtype ?? ScalarType.Float32;
        value?.Dispose();
        return inputs =>
        {
            var shape = CheckCreated(NodeContext.Ints(In(inputs, 0)));
            using Scalar value = Scalars.Of(fill);
            return One(torch.full(shape, value, type));
        };
    }

    static Kernel Gather(NodeContext c)
    {
        long axis = c.Int("axis", 0);
        return inputs =>
        {
            var data = In(inputs, 0);
            var indices = Align(In(inputs, 1), data);
            long a = Normalize(axis, data.dim(), c);
            long size = data.shape[a];
            using var scope = torch.NewDisposeScope();
            var flat = indices.reshape(-1).to(ScalarType.Int64);
            using Scalar zero = Scalars.Of(0L), axisSize = Scalars.Of(size);
            flat = torch.where(flat.lt(zero), flat.add(axisSize, Scalars.One), flat);
            if (flat.numel() > 0 && (flat.min().item<long>() < 0 || flat.max().item<long>() >= size))
                throw new OnnxProblem($"an index is out of range for axis {a} of size {size}");
            var picked = data.index_select(a, flat);
            long[] shape = [.. data.shape[..(int)a], .. indices.shape, .. data.shape[(int)(a + 1)..]];
            return One(picked.reshape(shape).MoveToOuterDisposeScope());
        };
    }

    /// <summary>Unsqueeze/Squeeze: axes from the attribute (before opset 13) or the second input.</summary>
    static Kernel Axes(NodeContext c, string op, Func<Tensor, long[], Tensor> apply)
    {
        long[]? fixedAxes = c.Opset < 13 ? c.Ints("axes") : c.Constant(1) is { } t ? NodeContext.Ints(t) : null;
        if (op == "Unsqueeze" && c.Opset < 13 && fixedAxes is null)
            throw c.Invalid("attribute 'axes' is required");
        return inputs =>
        {
            long[] axes = fixedAxes ?? (inputs.Length > 1 && inputs[1] is { } dynamic ? NodeContext.Ints(dynamic) : []);
            if (op == "Unsqueeze" && axes.Length == 0) throw new OnnxProblem("Unsqueeze needs axes");
            return One(apply(In(inputs, 0), axes));
        };
    }

    static Kernel Reshape(NodeContext c)
    {
        bool allowZero = c.Int("allowzero", 0) != 0;
        return inputs =>
        {
            var x = In(inputs, 0);
            long[] target = NodeContext.Ints(In(inputs, 1));
            if (!allowZero)
                for (int i = 0; i < target.Length; i++)
                    if (target[i] == 0)
                        target[i] = i < x.dim() ? x.shape[i] : throw new OnnxProblem($"shape {OnnxTensors.Shape(target)} copies dimension {i} that {OnnxTensors.Shape(x.shape)} lacks");
            if (target.Count(d => d == -1) > 1 || target.Any(d => d < -1))
                throw new OnnxProblem($"shape {OnnxTensors.Shape(target)} is not a valid reshape target");
            long known = target.Where(d => d != -1).Aggregate(1L, (p, v) => p * v);
            bool fits = target.Contains(-1) ? known != 0 && x.numel() % known == 0 : known == x.numel();
            if (!fits)
                throw new OnnxProblem($"cannot reshape {OnnxTensors.Shape(x.shape)} to {OnnxTensors.Shape(target)}");
            return One(x.reshape(target));
        };
    }

    static Kernel Split(NodeContext c)
    {
        long axis = c.Int("axis", 0);
        long[]? fixedSplit = c.Opset < 13 ? c.Ints("split") : c.Constant(1) is { } t ? NodeContext.Ints(t) : null;
        int outputs = c.Node.Output.Count;
        return inputs =>
        {
            var x = In(inputs, 0);
            long a = Normalize(axis, x.dim(), c);
            long[] sizes = fixedSplit ?? (inputs.Length > 1 && inputs[1] is { } s ? NodeContext.Ints(s) : []);
            if (sizes.Length == 0)
            {
                if (x.shape[a] % outputs != 0) throw new OnnxProblem($"dimension {x.shape[a]} does not split into {outputs} equal parts");
                sizes = Repeat(x.shape[a] / outputs, outputs);
            }
            if (sizes.Length != outputs || sizes.Sum() != x.shape[a])
                throw new OnnxProblem($"split {OnnxTensors.Shape(sizes)} does not cut dimension {x.shape[a]} into {outputs} parts");
            return x.split(sizes, a);
        };
    }

    static Kernel Slice(NodeContext c)
    {
        long[]? attrStarts = null, attrEnds = null, attrAxes = null;
        if (c.Opset < 10)
        {
            attrStarts = c.Ints("starts") ?? throw c.Invalid("attribute 'starts' is required");
            attrEnds = c.Ints("ends") ?? throw c.Invalid("attribute 'ends' is required");
            attrAxes = c.Ints("axes");
        }
        return inputs =>
        {
            var x = In(inputs, 0);
            long[] starts = attrStarts ?? NodeContext.Ints(In(inputs, 1));
            long[] ends = attrEnds ?? NodeContext.Ints(In(inputs, 2));
            long[] axes = attrAxes ?? (inputs.Length > 3 && inputs[3] is { } ax ? NodeContext.Ints(ax) : [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)]);
            long[] steps = c.Opset >= 10 && inputs.Length > 4 && inputs[4] is { } st ? NodeContext.Ints(st) : Repeat(1, starts.Length);
            if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
                throw new OnnxProblem("starts, ends, axes and steps differ in length");
            using var scope = torch.NewDisposeScope();
            var y = x;
            for (int i = 0; i < starts.Length; i++)
            {
                long a = axes[i] < 0 ? axes[i] + x.dim() : axes[i];
                if (a < 0 || a >= x.dim()) throw new OnnxProblem($"axis {axes[i]} is out of range");
                long size = x.shape[a], step = steps[i];
                if (step == 0) throw new OnnxProblem("a step of 0");
                long start = starts[i] < 0 ? starts[i] + size : starts[i];
                long end = ends[i] < 0 ? ends[i] + size : ends[i];
                if (step > 0)
                {
                    start = Math.Clamp(start, 0, size);
                    end = Math.Clamp(end, 0, size);
                    y = end > start ? y.slice(a, start, end, step) : y.narrow(a, 0, 0);
                }
                else
                {
                    start = Math.Clamp(start, 0, size - 1);
                    end = Math.Clamp(end, -1, size - 1);
                    var index = start > end ? torch.arange(start, end, step, ScalarType.Int64, y.device) : torch.zeros(0, ScalarType.Int64, y.device);
                    y = y.index_select(a, index);
                }
            }
            return One((ReferenceEquals(y, x) ? x.alias() : y).MoveToOuterDisposeScope());
        };
    }

    static Kernel Reduce(NodeContext c, Func<Tensor, long[], bool, Tensor> reduce)
    {
        bool keep = c.Int("keepdims", 1) != 0;
        bool axesFromInput = c.OpType == "ReduceSum" && c.Opset >= 13;
        bool noopWhenEmpty = c.Int("noop_with_empty_axes", 0) != 0;
        long[]? fixedAxes = axesFromInput ? (c.Constant(1) is { } t ? NodeContext.Ints(t) : null) : c.Ints("axes");
        return inputs =>
        {
            var x = In(inputs, 0);
            long[] axes = fixedAxes ?? (axesFromInput && inputs.Length > 1 && inputs[1] is { } a ? NodeContext.Ints(a) : []);
            if (axes.Length == 0)
            {
                if (noopWhenEmpty) return One(x.alias());
                axes = [.. Enumerable.Range(0, (int)x.dim()).Select(i => (long)i)];
            }
            return One(reduce(x, [.. axes.Select(v => v < 0 ? v + x.dim() : v)], keep));
        };
    }

    /// <summary>Pad: pads (and value) as attributes before opset 11, as inputs from 11; constant, reflect, edge.</summary>
    static Kernel Pad(NodeContext c)
    {
        string mode = c.String("mode", "constant");
        var torchMode = mode switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            _ => throw c.Unsupported($"mode '{mode}' is not supported"),
        };
        long[]? fixedPads = c.Opset < 11 ? c.Ints("pads") ?? throw c.Invalid("attribute 'pads' is required") : c.Constant(1) is { } p ? NodeContext.Ints(p) : null;
        double? fixedValue = c.Opset < 11 ? c.Float("value", 0) : c.HasInput(2) ? (c.Constant(2) is { } v ? NodeContext.Doubles(v)[0] : null) : 0;
        if (c.Opset >= 11 && c.InputCount > 3 && c.HasInput(3))
            throw c.Unsupported("the axes input is not supported");
        return inputs =>
        {
            var x = In(inputs, 0);
            long[] pads = fixedPads ?? NodeContext.Ints(In(inputs, 1));
            double value = fixedValue ?? (inputs.Length > 2 && inputs[2] is { } t ? NodeContext.Doubles(t)[0] : 0);
            int rank = (int)x.dim();
            if (pads.Length != 2 * rank)
                throw new OnnxProblem($"pads {OnnxTensors.Shape(pads)} do not fit an input of rank {rank}");
            // Only the trailing dimensions from the first padded one: torch's reflect/replicate
            // pad at most the last three.
            int first = Enumerable.Range(0, rank).FirstOrDefault(i => pads[i] != 0 || pads[i + rank] != 0, rank);
            if (first == rank) return One(x.alias());
            long[] torchPads = TorchPads(pads[first..rank], pads[(rank + first)..]);
            if (torchMode != PaddingModes.Constant && rank - first > 3)
                throw new OnnxProblem($"{mode} padding of more than the last three dimensions is not supported");
            return One(F.pad(x, torchPads, torchMode, value));
        };
    }
}
