using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Onnx;

/// <summary>
/// Resize (opsets 10, 11, 13) and Upsample (opset 9). What PyTorch exports runs through torch's own
/// interpolate (nearest/asymmetric/floor, (bi/tri)linear with half_pixel or align_corners, bicubic);
/// other nearest/linear combinations through an exact separable implementation of the ONNX formula.
/// </summary>
static partial class OnnxOperators
{
    static void RegisterResize()
    {
        Register("Resize", Resize);
        Register("Upsample", Upsample);
    }

    sealed record ResizeMode(string Mode, string Coordinates, string Nearest, double CubicA, bool ExcludeOutside);

    static Kernel Upsample(NodeContext c)
    {
        string mode = c.String("mode", "nearest");
        var fixedScales = c.Opset >= 9 ? (c.Constant(1) is { } s ? NodeContext.Doubles(s) : null) : c.Floats("scales")?.Select(v => (double)v).ToArray();
        var resize = new ResizeMode(mode, "asymmetric", "floor", -0.75, false);
        if (mode is not ("nearest" or "linear"))
            throw c.Unsupported($"mode '{mode}' is not supported");
        return inputs => One(RunResize(In(inputs, 0), fixedScales ?? NodeContext.Doubles(In(inputs, 1)), null, resize));
    }

    static Kernel Resize(NodeContext c)
    {
        string mode = c.String("mode", "nearest");
        string coordinates = c.Opset >= 11 ? c.String("coordinate_transformation_mode", "half_pixel") : "asymmetric";
        string nearest = c.Opset >= 11 ? c.String("nearest_mode", "round_prefer_floor") : "floor";
        if (mode is not ("nearest" or "linear" or "cubic"))
            throw c.Unsupported($"mode '{mode}' is not supported");
        if (coordinates is not ("half_pixel" or "pytorch_half_pixel" or "align_corners" or "asymmetric" or "tf_half_pixel_for_nn"))
            throw c.Unsupported($"coordinate_transformation_mode '{coordinates}' is not supported");
        if (nearest is not ("round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
            throw c.Unsupported($"nearest_mode '{nearest}' is not supported");
        if (c.Opset >= 18 && (c.Has("antialias") || c.Has("axes") || c.Has("keep_aspect_ratio_policy")))
            throw c.Unsupported("antialias, axes and keep_aspect_ratio_policy are not supported");
        var resize = new ResizeMode(mode, coordinates, nearest, c.Float("cubic_coeff_a", -0.75f), c.Int("exclude_outside", 0) != 0);

        int scalesInput = c.Opset >= 11 ? 2 : 1, sizesInput = c.Opset >= 11 ? 3 : -1;
        double[]? fixedScales = c.Constant(scalesInput) is { } s && s.numel() > 0 ? NodeContext.Doubles(s) : null;
        long[]? fixedSizes = sizesInput > 0 && c.Constant(sizesInput) is { } z && z.numel() > 0 ? NodeContext.Ints(z) : null;
        return inputs =>
        {
            var x = In(inputs, 0);
            double[]? scales = fixedScales;
            long[]? sizes = fixedSizes;
            if (scales is null && sizes is null)
            {
                if (sizesInput > 0 && sizesInput < inputs.Length && inputs[sizesInput] is { } zt && zt.numel() > 0) sizes = NodeContext.Ints(zt);
                else if (scalesInput < inputs.Length && inputs[scalesInput] is { } st && st.numel() > 0) scales = NodeContext.Doubles(st);
                else throw new OnnxProblem("neither scales nor sizes is given");
            }
            return One(RunResize(x, scales, sizes, resize));
        };
    }

    static Tensor RunResize(Tensor x, double[]? scales, long[]? sizes, ResizeMode m)
    {
        long rank = x.dim();
        long[] inShape = x.shape;
        if ((scales?.Length ?? sizes!.Length) != rank)
            throw new OnnxProblem($"{(scales is null ? "sizes" : "scales")} has {(scales?.Length ?? sizes!.Length)} values for an input of rank {rank}");
        long[] outShape = sizes ?? [.. inShape.Select((d, i) => (long)Math.Floor(d * scales![i]))];
        double[] scale = scales ?? [.. outShape.Select((o, i) => inShape[i] == 0 ? 1.0 : (double)o / inShape[i])];
        if (outShape[0] != inShape[0] || (rank > 1 && outShape[1] != inShape[1]))
            throw new OnnxProblem($"resizing the batch or channel dimension ({OnnxTensors.Shape(inShape)} → {OnnxTensors.Shape(outShape)}) is not supported");
        CheckCreated(outShape[1..]); // per image: a large batch is the caller's choice
        if (outShape.Any(d => d <= 0))
            throw new OnnxProblem($"output shape {OnnxTensors.Shape(outShape)} has an empty dimension");
        int spatial = (int)rank - 2;
        long[] outSpatial = outShape[2..];
        double[] spatialScale = scale[2..];

        if (spatial is >= 1 and <= 3 && TorchMode(m, spatial, outSpatial) is { } torchMode)
        {
            bool alignCorners = m.Coordinates == "align_corners";
            // Scales: torch maps with the given scale (recompute_scale_factor=false), as ONNX does.
            return scales is not null && !alignCorners
                ? F.interpolate(x, scale_factor: spatialScale, mode: torchMode.Mode, align_corners: torchMode.AlignCorners)
                : F.interpolate(x, size: outSpatial, mode: torchMode.Mode, align_corners: torchMode.AlignCorners);
        }
        if (m.Mode == "cubic")
            throw new OnnxProblem($"cubic resizing with coordinate_transformation_mode '{m.Coordinates}', cubic_coeff_a {m.CubicA} and exclude_outside {(m.ExcludeOutside ? 1 : 0)} is not supported");

        using var scope = torch.NewDisposeScope();
        var y = x;
        for (int axis = 2; axis < rank; axis++)
        {
            if (outShape[axis] == inShape[axis] && scale[axis] == 1) continue;
            y = ResizeAxis(y, axis, inShape[axis], outShape[axis], scale[axis], m);
        }
        return (ReferenceEquals(y, x) ? x.alias() : y).MoveToOuterDisposeScope();
    }

    static (InterpolationMode Mode, bool? AlignCorners)? TorchMode(ResizeMode m, int spatial, long[] outSpatial)
    {
        if (m.Mode == "nearest" && m.Coordinates == "asymmetric" && m.Nearest == "floor")
            return (InterpolationMode.Nearest, null);
        var linear = spatial switch { 1 => InterpolationMode.Linear, 2 => InterpolationMode.Bilinear, _ => InterpolationMode.Trilinear };
        bool halfPixel = m.Coordinates == "half_pixel" || (m.Coordinates == "pytorch_half_pixel" && outSpatial.All(d => d > 1));
        if (m.Mode == "linear" && halfPixel)
            return (linear, false);
        if (m.Mode == "linear" && m.Coordinates == "align_corners")
            return (linear, true);
        if (m.Mode == "cubic" && spatial == 2 && m.CubicA == -0.75 && !m.ExcludeOutside && (halfPixel || m.Coordinates == "align_corners"))
            return (InterpolationMode.Bicubic, m.Coordinates == "align_corners");
        return null;
    }

    /// <summary>One axis of ONNX's separable nearest/linear resize: source coordinates by the spec's formula.</summary>
    static Tensor ResizeAxis(Tensor x, int axis, long inSize, long outSize, double scale, ResizeMode m)
    {
        var source = new double[outSize];
        for (long i = 0; i < outSize; i++)
        {
            source[i] = m.Coordinates switch
            {
                "half_pixel" => (i + 0.5) / scale - 0.5,
                "pytorch_half_pixel" => outSize > 1 ? (i + 0.5) / scale - 0.5 : 0,
                "align_corners" => outSize == 1 ? 0 : i * (double)(inSize - 1) / (outSize - 1),
                "tf_half_pixel_for_nn" => (i + 0.5) / scale,
                _ => i / scale, // asymmetric
            };
        }
        if (m.Mode == "nearest")
        {
            long[] index = [.. source.Select(v => Math.Clamp(m.Nearest switch
            {
                "round_prefer_ceil" => (long)Math.Floor(v + 0.5),
                "floor" => (long)Math.Floor(v),
                "ceil" => (long)Math.Ceiling(v),
                _ => (long)Math.Ceiling(v - 0.5), // round_prefer_floor
            }, 0, inSize - 1))];
            using var indexTensor = torch.tensor(index, device: x.device);
            return x.index_select(axis, indexTensor);
        }
        var clamped = source.Select(v => Math.Clamp(v, 0, inSize - 1)).ToArray();
        long[] low = [.. clamped.Select(v => (long)Math.Floor(v))];
        long[] high = [.. low.Select(v => Math.Min(v + 1, inSize - 1))];
        float[] weight = [.. clamped.Select((v, i) => (float)(v - low[i]))];
        using var lowIndex = torch.tensor(low, device: x.device);
        using var highIndex = torch.tensor(high, device: x.device);
        long[] weightShape = [.. Enumerable.Range(0, (int)x.dim()).Select(d => d == axis ? outSize : 1L)];
        using var w = torch.tensor(weight, device: x.device).to(x.dtype).reshape(weightShape);
        using var a = x.index_select(axis, lowIndex);
        using var b = x.index_select(axis, highIndex);
        return a.lerp(b, w);
    }
}
