namespace UnitScope.Engine.Analysis.Occlusion;

/// <summary>
/// Zeiler–Fergus occlusion sensitivity's parameters. Sizes are in model-input pixels (the image is first
/// resized to the model's input, as for a prediction). Everything but <see cref="BatchSize"/> is part of
/// the cache key.
/// </summary>
public sealed record OcclusionOptions
{
    /// <summary>Side of the grey square, in input pixels.</summary>
    public int Size { get; init; } = 16;

    /// <summary>Step between square positions, in input pixels (the last row/column of positions is moved
    /// in so the squares reach the image's right and bottom edges).</summary>
    public int Stride { get; init; } = 8;

    /// <summary>The square's colour, 0–255 per channel: R, G, B (a gray model takes their luma), or one value.
    /// Null (default): the normalisation mean, i.e. 0 in every channel after normalising ("dataset mean").</summary>
    public IReadOnlyList<int>? FillRgb { get; init; }

    /// <summary>The class whose probability is mapped (model class index); null: the class predicted for the unoccluded image.</summary>
    public int? TargetClass { get; init; }

    /// <summary>The layer whose unit's activity is mapped; null: the last non-pooling layer with maps (<see cref="Occluder.DefaultLayer"/>).</summary>
    public string? Layer { get; init; }

    /// <summary>The unit; null: the layer's strongest unit on the unoccluded image (largest total activation of its map).</summary>
    public int? Unit { get; init; }

    /// <summary>Occluded copies per forward pass (speed and memory only; not part of the result).</summary>
    public int BatchSize { get; init; } = 32;
}

/// <summary>Where an occlusion run is: square positions evaluated so far of the total.</summary>
public sealed record OcclusionProgress(int PositionsDone, int PositionsTotal);

/// <summary>
/// Occlusion sensitivity of one image (Zeiler &amp; Fergus 2014, figure 7), for a grid of square positions:
/// row r, column c is the square whose top-left corner is (<see cref="Ys"/>[r], <see cref="Xs"/>[c]) in
/// input pixels. Per position (row-major arrays of <see cref="Rows"/> × <see cref="Columns"/>):
/// the target class's probability, the most probable class and its probability, and the chosen unit's
/// activity (the sum of its map over its positions: "total activation" in the paper).
/// </summary>
public sealed record OcclusionResult(
    string CheckpointHash,
    /// <summary>SHA-256 of the image's pixels (see <see cref="Occluder.ImageHash"/>).</summary>
    string ImageHash,
    /// <summary>The options as run: <see cref="OcclusionOptions.TargetClass"/>, <see cref="OcclusionOptions.Layer"/> and
    /// <see cref="OcclusionOptions.Unit"/> resolved (Layer and Unit null when the model has no layer with maps).</summary>
    OcclusionOptions Options,
    int InputHeight,
    int InputWidth,
    IReadOnlyList<int> Ys,
    IReadOnlyList<int> Xs,
    /// <summary>The model's class names (indices in <see cref="MostProbableClass"/> point into it).</summary>
    IReadOnlyList<string> ClassNames,
    int TargetClass,
    /// <summary>Unoccluded: the target's probability, the predicted class and its probability.</summary>
    float BaseTargetProbability,
    int BasePredictedClass,
    float BasePredictedProbability,
    float[] TargetProbability,
    int[] MostProbableClass,
    float[] MostProbableProbability,
    /// <summary>Unoccluded total activation of the unit; null without a unit.</summary>
    float? BaseUnitActivity,
    /// <summary>Per position; null without a unit.</summary>
    float[]? UnitActivity)
{
    public int Rows => Ys.Count;
    public int Columns => Xs.Count;

    /// <summary>
    /// The model has one output (a discriminator, a regression): <see cref="TargetProbability"/> holds that output
    /// itself, a score rather than a probability, and the most-probable-class map is one class everywhere.
    /// </summary>
    public bool FollowsScore => ClassNames.Count == 1;

    /// <summary>
    /// A per-position map spread over the input's pixels (InputHeight × InputWidth, row-major): each pixel
    /// gets the mean of the values of the positions whose square covers it; NaN where none does (only
    /// when the stride exceeds the square's size).
    /// </summary>
    public float[] ToPixels(float[] perPosition)
    {
        ArgumentNullException.ThrowIfNull(perPosition);
        if (perPosition.Length != Rows * Columns)
            throw new ArgumentException($"A per-position map has {Rows * Columns} values, not {perPosition.Length}.", nameof(perPosition));
        int size = Options.Size, h = InputHeight, w = InputWidth;
        var sum = new double[h * w];
        var count = new int[h * w];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++)
            {
                float v = perPosition[r * Columns + c];
                for (int y = Ys[r]; y < Math.Min(h, Ys[r] + size); y++)
                    for (int x = Xs[c]; x < Math.Min(w, Xs[c] + size); x++)
                    {
                        sum[y * w + x] += v;
                        count[y * w + x]++;
                    }
            }
        var result = new float[h * w];
        for (int i = 0; i < result.Length; i++)
            result[i] = count[i] == 0 ? float.NaN : (float)(sum[i] / count[i]);
        return result;
    }

    /// <summary>
    /// The most probable class at each input pixel (InputHeight × InputWidth): that of the covering square
    /// whose centre is nearest the pixel's centre (ties: the first in row-major order).
    /// </summary>
    public int[] ClassesAtPixels()
    {
        int h = InputHeight, w = InputWidth;
        var rowOf = Nearest(Ys, h);
        var columnOf = Nearest(Xs, w);
        var result = new int[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                result[y * w + x] = MostProbableClass[rowOf[y] * Columns + columnOf[x]];
        return result;
    }

    /// <summary>For each pixel along one axis, the position whose square's centre is nearest (first on ties).</summary>
    int[] Nearest(IReadOnlyList<int> starts, int length)
    {
        var result = new int[length];
        for (int p = 0; p < length; p++)
        {
            double best = double.PositiveInfinity;
            for (int i = 0; i < starts.Count; i++)
            {
                double d = Math.Abs(starts[i] + Options.Size / 2.0 - (p + 0.5));
                if (d < best) { best = d; result[p] = i; }
            }
        }
        return result;
    }
}
