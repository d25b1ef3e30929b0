using System.Buffers;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Pass 1 state of one layer: its shape, its activation spill, its top images and threshold brackets;
/// then its exact thresholds. <see cref="Take"/> runs on the forward pass's thread (the tensors are
/// freed after it), <see cref="Count"/> on the counting thread beside the next forward pass.
/// </summary>
internal sealed class LayerRun(string name, int topImages, Func<SpillFile> newSpill) : IDisposable
{
    bool _disposed;

    public string Name { get; } = name;
    public int Units { get; private set; }
    public int Height { get; private set; }
    public int Width { get; private set; }
    public ActivationSpill Spill { get; private set; } = null!;
    public TopImageTracker Top { get; private set; } = null!;
    public ThresholdBrackets Brackets { get; private set; } = null!;
    public float[] Thresholds { get; private set; } = [];

    /// <summary>
    /// Checks <paramref name="raw"/> [N, U, h, w] (the layer's output for <paramref name="images"/> images)
    /// and returns a pooled host copy of it, for <see cref="Count"/>.
    /// </summary>
    public float[] Take(Tensor raw, int images)
    {
        if (raw.dim() != 4 || raw.shape[0] != images)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{Name}' gave activations of shape [{string.Join(", ", raw.shape)}] for {images} images: dissection needs [images, units, height, width].");
        if (Spill is null)
        {
            Units = (int)raw.shape[1];
            Height = (int)raw.shape[2];
            Width = (int)raw.shape[3];
            Spill = new ActivationSpill(newSpill(), Units, Height, Width);
            Top = new TopImageTracker(Units, topImages);
            Brackets = new ThresholdBrackets(Units);
        }
        else if (raw.shape[1] != Units || raw.shape[2] != Height || raw.shape[3] != Width)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                $"Layer '{Name}' changed shape between batches: [{Units}, {Height}, {Width}], then [{string.Join(", ", raw.shape.Skip(1))}].");
        using var host = raw.to(ScalarType.Float32).contiguous().cpu();
        var floats = MemoryMarshal.Cast<byte, float>(host.bytes);
        var values = ArrayPool<float>.Shared.Rent(floats.Length);
        floats.CopyTo(values);
        return values;
    }

    /// <summary>
    /// Pass 1's counting of a batch <see cref="Take"/> copied: refuses non-finite values, ranks the images,
    /// counts the brackets and writes the spill. Images <paramref name="images"/> (dataset indices) with mask sizes <paramref name="masks"/>.
    /// </summary>
    public void Count(float[] values, (int Height, int Width)[] masks, int[] images)
    {
        int mapSize = Height * Width, imageFloats = Units * mapSize;
        var maxima = new float[masks.Length * Units];
        for (int n = 0; n < masks.Length; n++)
        {
            var image = values.AsSpan(n * imageFloats, imageFloats);
            for (int u = 0; u < Units; u++)
            {
                var map = image.Slice(u * mapSize, mapSize);
                float max = float.NegativeInfinity;
                foreach (float v in map)
                {
                    if (!float.IsFinite(v))
                        throw new UnitScopeException(EngineErrorKind.InvalidArgument,
                            $"Layer '{Name}' unit {u} has non-finite activations (NaN or infinity) among probe images {images[0]}–{images[^1]}.");
                    if (v > max) max = v;
                }
                maxima[n * Units + u] = max;
            }
            Brackets.Add(image, CellGrid.For(Height, Width, masks[n].Height, masks[n].Width));
            Spill.Write(masks[n].Height, masks[n].Width, image);
        }
        Top.Add(maxima, images);
    }

    /// <summary>The thresholds, exactly (<see cref="ExactThresholds"/>); returns how many passes over the spill that took.</summary>
    /// <param name="progress">Told (round, images done in it) as the search goes.</param>
    public int FinishThresholds(double quantile, CancellationToken ct, Action<int, long>? progress = null)
    {
        Thresholds = ExactThresholds.Find(Spill, Brackets, 1 - quantile, ct, out int rounds, progress);
        return rounds;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Spill?.Dispose();
    }
}
