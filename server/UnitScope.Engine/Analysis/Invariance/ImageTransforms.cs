using UnitScope.Engine.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Analysis.Invariance;

/// <summary>
/// The transformations of invariance, applied to an image already preprocessed for the model ([1, C, H, W], normalised,
/// at the model's input size), so every transformed image has the input's size:
/// <list type="bullet">
/// <item><b>Translation</b> by d whole pixels: the image moves d pixels down (vertical axis) or right (horizontal axis),
/// up or left when d is negative; no resampling, pixels are copied as they are.</item>
/// <item><b>Rotation</b> by θ degrees about the image's centre, counter-clockwise as seen for θ &gt; 0, in pixel
/// coordinates (a non-square image turns rigidly, not stretched).</item>
/// <item><b>Scale</b> by s about the image's centre: the content is s times larger (s &gt; 1 zooms in and crops,
/// s &lt; 1 shrinks it inside the frame).</item>
/// </list>
/// Rotation and scale sample the image bilinearly at each output pixel's centre (<c>grid_sample</c>,
/// <c>align_corners=False</c>). Whatever the transformation uncovers is filled with the normalisation mean (0 in
/// every channel after normalising: the colour occlusion fills with). The identity (shift 0, a whole number of turns,
/// scale 1) returns the image itself, untouched, so it gives the original's features exactly.
/// </summary>
public static class ImageTransforms
{
    /// <summary>The transformed copy of <paramref name="image"/> [1, C, H, W].</summary>
    /// <exception cref="UnitScopeException">InvalidArgument for a value that leaves nothing of the image (see <see cref="Check"/>).</exception>
    public static Tensor Apply(Tensor image, TransformKind kind, double value, TranslationAxis axis = TranslationAxis.Vertical)
    {
        ArgumentNullException.ThrowIfNull(image);
        int height = (int)image.shape[2], width = (int)image.shape[3];
        Check(kind, value, height, width, axis);
        if (IsIdentity(kind, value))
            return image;
        return kind switch
        {
            TransformKind.Translation => Shifted(image, (int)value, axis == TranslationAxis.Vertical ? 2 : 3),
            TransformKind.Rotation => Sampled(image, Rotation(value, height, width)),
            _ => Sampled(image, [1 / value, 0, 0, 0, 1 / value, 0]),
        };
    }

    /// <summary>Whether <paramref name="value"/> leaves the image as it is.</summary>
    public static bool IsIdentity(TransformKind kind, double value) => kind switch
    {
        TransformKind.Translation => value == 0,
        TransformKind.Rotation => value % 360 == 0,
        _ => value == 1,
    };

    /// <summary>
    /// Refuses a value that is no number, a translation that is not whole or moves the image out of the frame (|d| ≥
    /// the side), and a scale that is not positive or shrinks the image below one pixel.
    /// </summary>
    /// <exception cref="UnitScopeException">InvalidArgument naming the sweep and the value.</exception>
    public static void Check(TransformKind kind, double value, int height, int width, TranslationAxis axis = TranslationAxis.Vertical)
    {
        string name = Name(kind);
        if (!double.IsFinite(value))
            throw Invalid($"The {name} sweep ({Option(kind)}) holds {value}, which is not a number.");
        switch (kind)
        {
            case TransformKind.Translation:
                int side = axis == TranslationAxis.Vertical ? height : width;
                if (value != Math.Round(value))
                    throw Invalid($"Translations ({Option(kind)}) are whole pixels, not {value}.");
                if (Math.Abs(value) >= side)
                    throw Invalid($"A translation of {value} pixels ({Option(kind)}) moves the whole {height}x{width} input out of the frame, leaving it empty: " +
                        $"translations must be between -{side - 1} and {side - 1} pixels ({(axis == TranslationAxis.Vertical ? "vertical" : "horizontal")}).");
                break;
            case TransformKind.Scale:
                if (value <= 0 || value * Math.Min(height, width) < 1)
                    throw Invalid($"A scale of {value} ({Option(kind)}) shrinks the {height}x{width} input to nothing, leaving it empty: " +
                        $"scales must be at least {1.0 / Math.Min(height, width):0.###} (one pixel).");
                break;
        }
    }

    /// <summary>"translation", "rotation" or "scale".</summary>
    public static string Name(TransformKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The option that gives the sweep's values, as the CLI and the protocol name it.</summary>
    static string Option(TransformKind kind) => kind switch
    {
        TransformKind.Translation => "translate",
        TransformKind.Rotation => "rotate",
        _ => "scale",
    };

    static UnitScopeException Invalid(string message) => new(EngineErrorKind.InvalidArgument, message);

    /// <summary>The image moved by <paramref name="shift"/> pixels along dimension <paramref name="dim"/>, zeros where it uncovers.</summary>
    static Tensor Shifted(Tensor image, int shift, int dim)
    {
        long side = image.shape[dim];
        var result = zeros_like(image);
        int kept = (int)side - Math.Abs(shift);
        result.narrow(dim, Math.Max(0, shift), kept).copy_(image.narrow(dim, Math.Max(0, -shift), kept));
        return result;
    }

    /// <summary>
    /// The affine map from an output pixel to where it samples the input, in grid_sample's normalised coordinates, for a
    /// counter-clockwise rotation by <paramref name="degrees"/> about the centre in pixel units: with centred pixel
    /// coordinates (X, Y), Y down, the source of (X, Y) is (X cos θ − Y sin θ, X sin θ + Y cos θ); normalised
    /// coordinates are X / (W/2) and Y / (H/2).
    /// </summary>
    static double[] Rotation(double degrees, int height, int width)
    {
        double t = degrees * Math.PI / 180, c = Math.Cos(t), s = Math.Sin(t);
        return [c, -s * height / width, 0, s * width / height, c, 0];
    }

    /// <summary>The image sampled bilinearly through the affine map <paramref name="theta"/> (row-major 2×3), zeros outside.</summary>
    static Tensor Sampled(Tensor image, double[] theta)
    {
        var matrix = tensor(theta.Select(v => (float)v).ToArray(), [1, 2, 3], dtype: image.dtype, device: image.device);
        var grid = F.affine_grid(matrix, image.shape, align_corners: false);
        return F.grid_sample(image, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
    }
}
