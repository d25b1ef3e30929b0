using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// a_u(x, ·): a unit's map brought to the image's mask size by bilinear interpolation with PyTorch's
/// <c>F.interpolate(mode="bilinear", align_corners=False)</c> (libtorch's own kernel, through TorchSharp),
/// without antialiasing, whether the mask is larger or smaller than the map.
/// </summary>
internal static class MaskUpsampling
{
    /// <summary>How many values one chunk of upsampled maps may hold: bounds the temporary tensors (≈ 16 MB of float32, 32 MB of bin indices).</summary>
    public const long ChunkValues = 1 << 22;

    /// <summary>Maps [R, h, w] → [R, maskHeight × maskWidth], row-major.</summary>
    public static Tensor ToMask(Tensor maps, int maskHeight, int maskWidth)
    {
        long rows = maps.shape[0];
        if (maps.shape[1] == maskHeight && maps.shape[2] == maskWidth)
            return maps.reshape(rows, (long)maskHeight * maskWidth);
        var upsampled = nn.functional.interpolate(maps.unsqueeze(1), [maskHeight, maskWidth],
            mode: InterpolationMode.Bilinear, align_corners: false);
        return upsampled.reshape(rows, (long)maskHeight * maskWidth);
    }

    /// <summary>Rows per chunk for masks of <paramref name="pixels"/> values.</summary>
    public static long RowsPerChunk(long pixels) => Math.Max(1, ChunkValues / Math.Max(1, pixels));
}
