using System.Security.Cryptography;
using System.Text;
using UnitScope.Engine.Imaging;

namespace UnitScope.Engine.Datasets;

/// <summary>
/// A probe set whose images and label masks are resized together to one size (a model's input size): images as
/// the model's own resize does (PIL's, <see cref="Resampling"/>), masks by PIL's nearest neighbour so every label
/// stays a label of the pixel it covers. Without it a model whose input is smaller than the probe images gets each
/// image resized by its input step and its unit maps upsampled to the larger masks; with it the model sees the
/// images at its size and the masks match them.
/// </summary>
public sealed class ResizedProbeSet : ISegmentationDataset
{
    readonly ISegmentationDataset _inner;
    readonly int _height, _width;
    readonly Resampling _resampling;

    public ResizedProbeSet(ISegmentationDataset inner, int height, int width, Resampling resampling)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (height < 1 || width < 1)
            throw new UnitScopeException(EngineErrorKind.InvalidArgument, $"Cannot resize probe images to {height}x{width}.");
        _inner = inner;
        _height = height;
        _width = width;
        _resampling = resampling;
        ContentHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"unitscope/resized-probe/v1\n{inner.ContentHash}\n{height}x{width}\n{resampling.Name()}\n")));
    }

    public string Root => _inner.Root;
    /// <summary>The inner set's hash with the size and the resampling: a dissection over resized images is another result.</summary>
    public string ContentHash { get; }
    public IReadOnlyList<string> Categories => _inner.Categories;
    public IReadOnlyList<Concept> Concepts => _inner.Concepts;
    public int MaxConceptId => _inner.MaxConceptId;
    public int Count => _inner.Count;

    public ProbeSample Load(int index)
    {
        var sample = _inner.Load(index);
        var rows = PilResample.NearestIndices(sample.MaskHeight, _height);
        var columns = PilResample.NearestIndices(sample.MaskWidth, _width);
        var labels = sample.PixelLabels.ToDictionary(
            p => p.Key,
            p => (IReadOnlyList<int[]>)[.. p.Value.Select(mask => Nearest(mask, sample.MaskWidth, sample.MaskHeight, rows, columns))]);
        return sample with
        {
            Image = ImageResize.Resize(sample.Image, _width, _height, _resampling),
            MaskHeight = _height,
            MaskWidth = _width,
            PixelLabels = labels,
        };
    }

    /// <summary>A label map resampled at the given source rows and columns; one that rounding puts past the edge takes the edge's label.</summary>
    static int[] Nearest(int[] mask, int width, int height, int[] rows, int[] columns)
    {
        var result = new int[rows.Length * columns.Length];
        for (int y = 0; y < rows.Length; y++)
        {
            int sy = Math.Clamp(rows[y], 0, height - 1);
            for (int x = 0; x < columns.Length; x++)
                result[y * columns.Length + x] = mask[sy * width + Math.Clamp(columns[x], 0, width - 1)];
        }
        return result;
    }

    /// <summary>
    /// Null when the first readable probe image already has the model's input size (or none can be read: the
    /// dissection says so); else a sentence saying that the images are resized to the input and the unit maps
    /// upsampled to the masks, and how to resize both instead.
    /// </summary>
    public static string? SizeNote(ISegmentationDataset probe, InputSpec input, string option)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(input);
        var skips = new ImageSkips();
        var first = Enumerable.Range(0, probe.Count).Select(i => skips.TryLoad(probe, i)).FirstOrDefault(sample => sample is not null);
        if (first is null) return null;
        if (first.Image.Width == input.Width && first.Image.Height == input.Height) return null;
        return $"The probe images are {first.Image.Width}x{first.Image.Height} (masks {first.MaskWidth}x{first.MaskHeight}) but the model takes " +
               $"{input.Width}x{input.Height}: each image is resized to {input.Width}x{input.Height} for the forward pass and the unit maps are " +
               $"upsampled to the masks. {option} resizes the images and their masks together to {input.Width}x{input.Height} instead " +
               "(masks by nearest neighbour, so labels stay exact).";
    }
}
