using TorchSharp;
using UnitScope.Engine.Layers;
using static TorchSharp.torch;

namespace UnitScope.Engine.Runtime;

/// <summary>
/// Keeps float32 convolutions right where libtorch's oneDNN (mkldnn) computes them wrong.
/// </summary>
/// <remarks>
/// <para>libtorch 2.10's oneDNN gives wrong float32 convolutions on some CPUs (AMD EPYC Zen 5 here,
/// with the AVX-512 and the AVX2 kernels alike) when the input's channel count is not a multiple of
/// oneDNN's block and the kernel is larger than 1x1: a conv with 20, 24, 40, 50 or 100 input channels
/// is off by 0.2–2, or NaN, against float64 (most shapes only in batches of two images or more); 1–16,
/// 32, 48, 64 and 80 channels, 1x1 kernels and float64 are right. oneDNN then reorders the input
/// into a padded blocked layout (<c>aBcd16b</c> with <c>ap</c> padding in ONEDNN_VERBOSE's log).
/// libtorch's own convolutions compute those right (1e-6) but run 1.5–4.5x slower than oneDNN's
/// where oneDNN is right, so switching oneDNN off everywhere would make a full-width ResNet-18
/// about 3x slower (bench/convolutions).</para>
/// <para>So oneDNN is switched off only where it is wrong, decided by measurement, not by a rule
/// about channel counts that another oneDNN or CPU would break: <see cref="WrongOnThisMachine"/>
/// runs two small odd-channel convolutions against float64 once per process; only when they are
/// wrong does <see cref="Affects"/> run a model (at load) on a random input with oneDNN and
/// without, comparing every layer's output. A model it affects runs its forward passes inside
/// <see cref="Avoid"/>. On a machine whose oneDNN is right, or on a GPU, nothing changes.</para>
/// <para>oneDNN's switch is global to the process: <see cref="Avoid"/> holds it off while any
/// holder runs (a count), so another model's pass that overlaps one only runs slower, never
/// wrong.</para>
/// </remarks>
public static class OneDnnConvolutions
{
    /// <summary>Largest relative error that still counts as right (oneDNN's rounding differs by about 1e-6).</summary>
    const double Tolerance = 1e-3;

    static readonly object Gate = new();
    static int _holders;
    static bool _enabledBefore;
    static readonly Lazy<double> SelfCheckError = new(MeasureSelfCheck, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Whether this machine's oneDNN computes odd-channel float32 convolutions wrong: the larger relative
    /// error of two (20 and 50 input channels, 3x3 and 5x5 kernels, stride 1 and 2) against float64.
    /// Measured once per process, in milliseconds.
    /// </summary>
    public static bool WrongOnThisMachine => SelfCheckError.Value > Tolerance;

    /// <summary>The self-check's relative error (for the benchmark's report).</summary>
    public static double SelfCheckRelativeError => SelfCheckError.Value;

    /// <summary>
    /// Whether <paramref name="model"/> (on <paramref name="device"/>, in eval mode) computes something
    /// else with oneDNN than without it on images of <paramref name="imageShape"/> [C, H, W]. False at once
    /// on a GPU, where <see cref="WrongOnThisMachine"/> is false, or when no weight of the model has a
    /// channel count oneDNN pads (<see cref="MayBePadded"/>: full-width torchvision models). Else seeded
    /// random images go through the model with oneDNN and without, and every hookable layer's output and
    /// the model's are compared (<see cref="Fingerprints"/>), for a batch of two and, when that agrees, of
    /// one (oneDNN takes other paths for one image: most wrong convolutions are right there, some are
    /// wrong only there). A model that takes no batch of two (an ONNX graph exported with a fixed batch)
    /// is checked with one.
    /// </summary>
    public static bool Affects(nn.Module<Tensor, Tensor> model, long[] imageShape, Device device)
    {
        if (device.type != DeviceType.CPU || !WrongOnThisMachine || !LibTorchContext.Available || !MayBePadded(model))
            return false;
        try
        {
            if (Differs(model, [2, .. imageShape], device))
                return true;
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            // Only a batch of one goes through this model.
        }
        return Differs(model, [1, .. imageShape], device);
    }

    /// <summary>
    /// Whether a weight of <paramref name="model"/> with three or more dimensions (a convolution's, plain or
    /// transposed, in any of its parameters or buffers, ONNX initializers included) has a channel count
    /// (dimension 0 or 1) that is neither a multiple of 16 nor at most 8. Only such counts make oneDNN pad
    /// its blocked layouts (blocks of 16 with AVX-512, 8 with AVX2; fewer than a block take a plain layout),
    /// and every wrong result measured came with padding: 12 input channels are wrong under AVX2 only, 24
    /// under AVX-512 only, 8, 16, 32, 48, 64 and 80 never.
    /// </summary>
    static bool MayBePadded(nn.Module model)
    {
        static bool Unpadded(long channels) => channels <= 8 || channels % 16 == 0;
        return model.parameters().Select(p => p.shape).Concat(model.buffers().Select(b => b.shape))
            .Any(shape => shape.Length >= 3 && !(Unpadded(shape[0]) && Unpadded(shape[1])));
    }

    static bool Differs(nn.Module<Tensor, Tensor> model, long[] inputShape, Device device)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var generator = new Generator(20240229);
        var input = torch.randn(inputShape, generator: generator).to(device);
        Dictionary<string, (double MeanAbs, double Rms)> withOneDnn;
        // The switch is process-wide: while another analysis holds oneDNN off, "with oneDNN" would measure
        // without it, find no difference, and let the model run on wrong convolutions once it is released.
        // Then nothing can be measured, and keeping oneDNN away is always right (only slower). The lock keeps
        // anyone from turning it off during the measurement.
        lock (Gate)
        {
            if (_holders > 0) return true;
            withOneDnn = Fingerprints(model, input);
        }
        Dictionary<string, (double MeanAbs, double Rms)> without;
        using (Avoid())
            without = Fingerprints(model, input);
        return without.Any(o => !withOneDnn.TryGetValue(o.Key, out var other) || !Close(other, o.Value));
    }

    /// <summary>
    /// oneDNN off until the result is disposed (and for as long as any other holder holds it); a no-op
    /// where libtorch's switch cannot be reached.
    /// </summary>
    public static IDisposable Avoid()
    {
        _ = SelfCheckError.Value; // measured with oneDNN as libtorch set it, before anyone holds it off
        lock (Gate)
        {
            if (_holders++ == 0)
            {
                _enabledBefore = LibTorchContext.OneDnnEnabled;
                LibTorchContext.OneDnnEnabled = false;
            }
        }
        return new Holder();
    }

    sealed class Holder : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 1) return;
            lock (Gate)
                if (--_holders == 0)
                    LibTorchContext.OneDnnEnabled = _enabledBefore;
        }
    }

    /// <summary>
    /// The mean |x| and root mean square of every hookable layer's output (its last call's) and of the model's
    /// (""): a wrong convolution's errors (0.2–2 on values of about 1, or NaN) move them far past the tolerance,
    /// and two numbers a layer keep a full-width model's check from holding a copy of every activation.
    /// </summary>
    static Dictionary<string, (double MeanAbs, double Rms)> Fingerprints(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        var prints = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        var removers = new List<Action>();
        try
        {
            foreach (var (name, module) in LayerCatalog.HookableModules(model))
            {
                var handle = module.register_forward_hook((_, _, output) =>
                {
                    prints[name] = Fingerprint(output);
                    return null!; // leaves the output as it is
                });
                removers.Add(handle.remove);
            }
            prints[""] = Fingerprint(model.call(input));
            return prints;
        }
        finally
        {
            foreach (var remove in removers) remove();
        }
    }

    static (double MeanAbs, double Rms) Fingerprint(Tensor output)
    {
        using var scope = torch.NewDisposeScope();
        var x = output.to(float64);
        return x.numel() == 0 ? (0, 0) : (x.abs().mean().item<double>(), x.square().mean().sqrt().item<double>());
    }

    static bool Close((double MeanAbs, double Rms) actual, (double MeanAbs, double Rms) expected) =>
        Near(actual.MeanAbs, expected.MeanAbs) && Near(actual.Rms, expected.Rms);

    /// <summary>NaN is near only NaN.</summary>
    static bool Near(double actual, double expected) =>
        double.IsNaN(actual) || double.IsNaN(expected)
            ? double.IsNaN(actual) && double.IsNaN(expected)
            : Math.Abs(actual - expected) <= Tolerance * Math.Max(Math.Abs(expected), 1e-9);

    static double MeasureSelfCheck()
    {
        TorchRuntime.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var generator = new Generator(7);
        double worst = 0;
        foreach (var (channels, kernel, stride) in new[] { (20, 3, 1), (50, 5, 2) })
        {
            var input = torch.randn([2, channels, 15, 15], generator: generator);
            using var fanIn = Scalars.Of(Math.Sqrt(channels * kernel * kernel));
            var weight = torch.randn([24, channels, kernel, kernel], generator: generator).div_(fanIn);
            long[] strides = [stride, stride], padding = [kernel / 2, kernel / 2];
            var single = nn.functional.conv2d(input, weight, strides: strides, padding: padding).to(float64);
            var reference = nn.functional.conv2d(input.to(float64), weight.to(float64), strides: strides, padding: padding);
            double scale = Math.Max(reference.abs().max().item<double>(), 1e-6);
            double error = (single - reference).abs().max().item<double>() / scale;
            worst = Math.Max(worst, double.IsNaN(error) ? double.PositiveInfinity : error);
        }
        return worst;
    }
}
