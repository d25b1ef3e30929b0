namespace UnitScope.Engine.Layers.ReceptiveFields;

/// <summary>
/// A receptive field along one axis, in input pixels: unit <c>i</c> of the layer sees pixels
/// <c>Start + i·Jump</c> to <c>Start + i·Jump + Size − 1</c> (Araujo et al., "Computing receptive fields of
/// convolutional neural networks", Distill 2019: r, S and −P). <see cref="Start"/> is negative where the
/// field reaches into the padding; a field can be larger than the image.
/// </summary>
public readonly record struct FieldAxis(int Size, int Jump, int Start)
{
    /// <summary>One input pixel: the input's own field.</summary>
    public static readonly FieldAxis Pixel = new(1, 1, 0);

    public int First(int index) => Start + index * Jump;

    public int Last(int index) => First(index) + Size - 1;

    /// <summary>This field after a window op (convolution, pooling) with these settings, along the same axis.</summary>
    public FieldAxis Then(int kernel, int stride, int padding, int dilation) =>
        new(Size + dilation * (kernel - 1) * Jump, Jump * stride, Start - padding * Jump);
}

/// <summary>How a layer's receptive field was found.</summary>
public enum ReceptiveFieldMethod
{
    /// <summary>Composed in closed form along the chain of modules from the input (each module's input is the output of the one before it).</summary>
    Chain,
    /// <summary>Measured: where the gradient of a centre unit is non-zero in the input, with every convolution and pooling
    /// differentiated as an all-ones window and every activation as the identity (the geometry, not the weights).</summary>
    Gradient,
    /// <summary>The layer is not spatial (e.g. Linear), or its units see the whole input at every size tried (global pooling).</summary>
    WholeInput,
    /// <summary>Could not be determined; the note says why.</summary>
    Unknown,
}

/// <summary>A box of input pixels: rows <c>Top … Top + Height − 1</c>, columns <c>Left … Left + Width − 1</c>.</summary>
public readonly record struct PixelBox(int Top, int Left, int Height, int Width)
{
    public int Bottom => Top + Height;
    public int Right => Left + Width;

    /// <summary>The part of this box inside an image of <paramref name="height"/> × <paramref name="width"/> (empty when none is).</summary>
    public PixelBox ClipTo(int height, int width)
    {
        int top = Math.Clamp(Top, 0, height), left = Math.Clamp(Left, 0, width);
        int bottom = Math.Clamp(Bottom, 0, height), right = Math.Clamp(Right, 0, width);
        return new PixelBox(top, left, Math.Max(0, bottom - top), Math.Max(0, right - left));
    }
}

/// <summary>A layer's receptive field along both axes.</summary>
public sealed record ReceptiveField(FieldAxis Rows, FieldAxis Columns)
{
    /// <summary>The input pixels unit (<paramref name="y"/>, <paramref name="x"/>) of the layer's map sees, before clipping to the image.</summary>
    public PixelBox BoxOf(int y, int x) => new(Rows.First(y), Columns.First(x), Rows.Size, Columns.Size);

    /// <summary>"11×11, stride 4, start −2" (start equal on both axes), else the two axes apiece.</summary>
    public override string ToString() =>
        Rows == Columns ? $"{Rows.Size}×{Rows.Size}, stride {Rows.Jump}, start {Rows.Start}"
        : $"{Rows.Size}×{Columns.Size}, stride {Rows.Jump}×{Columns.Jump}, start {Rows.Start},{Columns.Start}";
}

/// <summary>
/// One layer's receptive field, or null where it has none of its own (<see cref="ReceptiveFieldMethod.WholeInput"/>,
/// <see cref="ReceptiveFieldMethod.Unknown"/>); <see cref="Note"/> says how it was found or why not.
/// </summary>
public sealed record LayerReceptiveField(string Layer, ReceptiveField? Field, ReceptiveFieldMethod Method, string Note);
