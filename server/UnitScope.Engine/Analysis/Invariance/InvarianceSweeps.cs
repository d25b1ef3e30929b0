namespace UnitScope.Engine.Analysis.Invariance;

/// <summary>The sweeps and layers invariance uses when none are given, after Zeiler &amp; Fergus's figure 5.</summary>
public static class InvarianceSweeps
{
    /// <summary>13 shifts from −¼ to +¼ of the side in equal whole-pixel steps (the paper: −60 … 60 of 224 pixels).</summary>
    public static IReadOnlyList<int> DefaultTranslations(int side) =>
        [.. Enumerable.Range(-6, 13).Select(k => (int)Math.Round(k * side / 24.0)).Distinct()];

    /// <summary>0°, 15°, … 360° (the paper: 0 … 350 in steps of 10).</summary>
    public static IReadOnlyList<double> DefaultRotations { get; } = [.. Enumerable.Range(0, 25).Select(k => 15.0 * k)];

    /// <summary>0.6, 0.7, … 1.8 (the paper zooms in, 1 … 1.8; below 1 shows shrinking too).</summary>
    public static IReadOnlyList<double> DefaultScales { get; } = [.. Enumerable.Range(6, 13).Select(k => k / 10.0)];

    /// <summary>
    /// A lower and an upper layer, as the paper's layer 1 and layer 7: the first layer with spatial maps that is not
    /// a convolution or a container (the first convolution's activation; else the first with spatial maps), the last layer with
    /// spatial maps (<see cref="Occlusion.Occluder.DefaultLayer"/>), and the last layer without, before the output,
    /// when there is one (a classifier's hidden layer, the paper's fully connected layer 7; not a dropout).
    /// </summary>
    public static IReadOnlyList<string> DefaultLayers(ModelSession model)
    {
        ArgumentNullException.ThrowIfNull(model);
        // Leaves only: a container (a Sequential, a ResNet stage) comes before its children in named_modules() order.
        var names = model.Layers.Select(l => l.Name).ToList();
        var spatial = model.Layers.Where(l => l.OutputShape.Count == 3 && !names.Any(n => n.StartsWith(l.Name + ".", StringComparison.Ordinal))).ToList();
        var layers = new List<string>();
        var lower = spatial.FirstOrDefault(l => !l.Kind.Contains("Conv", StringComparison.OrdinalIgnoreCase)) ?? spatial.FirstOrDefault();
        if (lower is not null) layers.Add(lower.Name);
        if (Occlusion.Occluder.DefaultLayer(model) is { } upper && !layers.Contains(upper)) layers.Add(upper);
        int last = model.Layers.Count - 1;
        var hidden = model.Layers.Take(last).LastOrDefault(l => l.OutputShape.Count == 1 && l.OutputShape[0] != model.ClassCount
            && !l.Kind.Contains("Dropout", StringComparison.OrdinalIgnoreCase));
        if (hidden is not null && !layers.Contains(hidden.Name)) layers.Add(hidden.Name);
        if (layers.Count == 0 && model.Layers.Count > 0) layers.Add(model.Layers[0].Name);
        return layers;
    }
}
