using UnitScope.Engine.Runtime;
using static TorchSharp.torch;

namespace UnitScope.Engine.Imaging;

/// <summary>
/// Turns decoded images into the float tensors a model takes, the way a torchvision eval pipeline
/// does (<c>Resize((H, W))</c> → <c>ToTensor()</c> → <c>Normalize(mean, std)</c>):
/// <list type="number">
/// <item>resize to (<see cref="InputSpec.Height"/>, <see cref="InputSpec.Width"/>) only when the
/// size differs, aspect ratio not kept, resampled as PIL does (<see cref="PilResample"/>, with
/// <see cref="InputSpec.Resampling"/>: bilinear with antialiasing unless the model's description says otherwise);</item>
/// <item>convert channels to the model's: gray → RGB by replicating; RGB → gray by ITU-R 601-2 luma
/// (0.299 R + 0.587 G + 0.114 B), rounded to 8 bits like PIL's <c>convert("L")</c>;</item>
/// <item>scale bytes to [0, 1] (÷ 255) and normalise each channel c: (x − Mean[c]) / Std[c].</item>
/// </list>
/// </summary>
public static class ImageTensor
{
    /// <summary>A CPU float32 tensor [1, C, H, W]; move it to the model's device yourself.</summary>
    /// <exception cref="UnitScopeException">InvalidArgument for a mean/std whose count is not the
    /// channel count (or a zero std); BadImage for an inconsistent image.</exception>
    public static Tensor ToInput(RgbImage image, InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ToBatch([image], spec);
    }

    /// <summary>A CPU float32 tensor [N, C, H, W] of the images in order, each preprocessed as
    /// <see cref="ToInput"/> does.</summary>
    public static Tensor ToBatch(IReadOnlyList<RgbImage> images, InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, "A batch needs at least one image.");
        Validate(spec);
        int plane = spec.Channels * spec.Height * spec.Width;
        var values = new float[(long)images.Count * plane];
        Parallel.For(0, images.Count, ParallelWork.Options(), i => Fill(images[i], spec, values.AsSpan(i * plane, plane)));
        TorchRuntime.EnsureLoaded();
        return tensor(values, [images.Count, spec.Channels, spec.Height, spec.Width]);
    }

    /// <summary>The preprocessed values of one image, channel-major (C × H × W), without torch.</summary>
    public static float[] ToChw(RgbImage image, InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(image);
        Validate(spec);
        var values = new float[spec.Channels * spec.Height * spec.Width];
        Fill(image, spec, values);
        return values;
    }

    /// <summary>Checks an input spec: 1 or 3 channels, a positive size, one finite mean and one
    /// finite non-zero std per channel, on the 0..1 scale (<see cref="NormalisationScale"/>).</summary>
    /// <exception cref="UnitScopeException">InvalidArgument, naming the option at fault.</exception>
    public static void Validate(InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Channels is not (1 or 3))
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Models taking {spec.Channels}-channel images are not supported (1 or 3).");
        if (spec.Height <= 0 || spec.Width <= 0)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The input size (--input-size) must be positive, not {spec.Height}x{spec.Width}.");
        CheckPerChannel("mean (--mean)", spec.Mean, spec.Channels);
        CheckPerChannel("std (--std)", spec.Std, spec.Channels);
        foreach (var s in spec.Std)
            if (s == 0)
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, "The std (--std) cannot contain 0: normalisation divides by it.");
        CheckScale("mean (--mean)", spec.Mean, isStd: false);
        CheckScale("std (--std)", spec.Std, isStd: true);
    }

    static void CheckScale(string what, float[] values, bool isStd)
    {
        if (NormalisationScale.Problem(values, isStd) is { } problem)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The {what} {NormalisationScale.Shown(values)} {problem}.");
    }

    static void CheckPerChannel(string what, float[]? values, int channels)
    {
        if (values is null || values.Length != channels)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"The {what} has {values?.Length ?? 0} value{(values?.Length == 1 ? "" : "s")}, but the model takes {channels}-channel images: give one value per channel.");
        foreach (var v in values)
            if (!float.IsFinite(v))
                throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"The {what} must hold finite numbers, not {v}.");
    }

    static void Fill(RgbImage image, InputSpec spec, Span<float> chw)
    {
        ImageResize.Check(image);
        var sized = ImageResize.Resize(image, spec.Width, spec.Height, spec.Resampling);
        int n = spec.Width * spec.Height;
        var px = sized.Pixels;
        const float inv255 = 1f / 255f;

        if (spec.Channels == 3)
        {
            for (int c = 0; c < 3; c++)
            {
                float scale = inv255 / spec.Std[c], shift = spec.Mean[c] / spec.Std[c];
                var dst = chw.Slice(c * n, n);
                if (sized.Channels == 3)
                    for (int i = 0; i < n; i++) dst[i] = px[3 * i + c] * scale - shift;
                else
                    for (int i = 0; i < n; i++) dst[i] = px[i] * scale - shift;
            }
        }
        else
        {
            float scale = inv255 / spec.Std[0], shift = spec.Mean[0] / spec.Std[0];
            if (sized.Channels == 1)
                for (int i = 0; i < n; i++) chw[i] = px[i] * scale - shift;
            else
                for (int i = 0; i < n; i++) chw[i] = Luma(px[3 * i], px[3 * i + 1], px[3 * i + 2]) * scale - shift;
        }
    }

    /// <summary>ITU-R 601-2 luma of an 8-bit RGB pixel, rounded to the nearest byte.</summary>
    public static byte Luma(byte r, byte g, byte b) => (byte)(0.299f * r + 0.587f * g + 0.114f * b + 0.5f);
}
