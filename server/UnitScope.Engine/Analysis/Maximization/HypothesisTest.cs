using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Maximization;

/// <summary>
/// A layer's response to one image, unit by unit: what seed 004 plots to test a guess about a unit ("this pattern
/// looks like arches: does a photo of arches make unit 286 stand out among its layer?").
/// </summary>
/// <param name="MeanActivations">Per unit: the mean of its map over every position (for a layer without spatial maps, its value).</param>
/// <param name="Rank">1 when the unit responds more than every other unit of the layer; 1 + the number of units that respond more.</param>
public sealed record HypothesisResult(
    string Layer,
    int Unit,
    IReadOnlyList<float> MeanActivations,
    int Rank,
    /// <summary>The unit that responds most (the first of equals).</summary>
    int StrongestUnit)
{
    public float UnitActivation => MeanActivations[Unit];
}

/// <summary>The hypothesis test of seed 004: feed a real image (or the optimised one), rank the unit in its layer.</summary>
public static class HypothesisTest
{
    /// <summary>The mean activation of every unit of <paramref name="layer"/> on <paramref name="image"/> (sized for the
    /// model: see <see cref="ModelSession.SizeImage"/>) and <paramref name="unit"/>'s rank among them.</summary>
    /// <exception cref="UnitScopeException">UnknownLayer, UnitOutOfRange, BadImage.</exception>
    public static HypothesisResult Run(ModelSession model, RgbImage image, string layer, int unit)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        var info = model.GetLayer(layer);
        if (unit < 0 || unit >= info.Units)
            throw new UnitScopeException(EngineErrorKind.UnitOutOfRange,
                $"Unit {unit} is out of range: layer '{layer}' has {info.Units} units (0–{info.Units - 1}).");
        using var input = ImageTensor.ToInput(image, model.Input);
        var means = model.ForwardBatch(input, [layer], pass =>
        {
            var a = pass.Activations[layer][0];
            var perUnit = a.dim() > 1 ? a.flatten(1).to(ScalarType.Float64).mean([1]) : a.to(ScalarType.Float64);
            return perUnit.cpu().data<double>().Select(v => (float)v).ToArray();
        });
        return FromMeans(layer, unit, means);
    }

    /// <summary>The result for given per-unit means (the rank and the strongest unit worked out).</summary>
    public static HypothesisResult FromMeans(string layer, int unit, IReadOnlyList<float> means)
    {
        ArgumentNullException.ThrowIfNull(means);
        int strongest = 0;
        for (int u = 1; u < means.Count; u++)
            if (means[u] > means[strongest]) strongest = u;
        int rank = 1 + means.Count(v => v > means[unit]);
        return new HypothesisResult(layer, unit, means, rank, strongest);
    }
}
