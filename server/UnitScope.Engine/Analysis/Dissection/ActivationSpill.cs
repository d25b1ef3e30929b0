using System.Runtime.InteropServices;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// One layer's raw activations as pass 1 saw them (float32, not resampled, so later passes threshold
/// exactly the values pass 1 counted), image after image, each preceded by its mask size: written once
/// front to back, then read front to back as often as the threshold search and the IoU pass need.
/// </summary>
internal sealed class ActivationSpill(SpillFile file, int units, int height, int width) : IDisposable
{
    public int Units => units;
    public int Height => height;
    public int Width => width;
    public int MapSize => height * width;
    /// <summary>Floats per image: units × h × w.</summary>
    public int ImageFloats => units * height * width;
    public long Images { get; private set; }

    public void Write(int maskHeight, int maskWidth, ReadOnlySpan<float> maps)
    {
        if (maps.Length != ImageFloats) throw new ArgumentException($"{maps.Length} values, not {ImageFloats}.", nameof(maps));
        Span<int> header = [maskHeight, maskWidth];
        file.Write(MemoryMarshal.AsBytes(header));
        file.Write(MemoryMarshal.AsBytes(maps));
        Images++;
    }

    public void Rewind() => file.Rewind();

    /// <summary>
    /// Reads the next images, up to <paramref name="masks"/>.Length: their maps into <paramref name="maps"/>
    /// ([images × units × h × w]) and mask sizes into <paramref name="masks"/>; returns how many (0 at the end).
    /// </summary>
    public int Read(Span<float> maps, Span<(int Height, int Width)> masks, ref long position)
    {
        int count = (int)Math.Min(masks.Length, Images - position);
        Span<int> header = stackalloc int[2];
        for (int i = 0; i < count; i++)
        {
            file.ReadExactly(MemoryMarshal.AsBytes(header));
            masks[i] = (header[0], header[1]);
            file.ReadExactly(MemoryMarshal.AsBytes(maps.Slice(i * ImageFloats, ImageFloats)));
        }
        position += count;
        return count;
    }

    /// <summary>Images per chunk read at once: about 16 MB of maps, at least one image.</summary>
    public int ChunkImages => (int)Math.Clamp((4L << 20) / Math.Max(1, ImageFloats), 1, 4096);

    public void Dispose() => file.Dispose();
}
