using TorchSharp;
using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// An activation source without a model: each layer's maps come from a function of the probe sample
/// (values [units × h × w], row-major). Counts its forward passes; can fail or cancel on a given one.
/// </summary>
sealed class PlantedActivations(IReadOnlyDictionary<string, (int Units, int Height, int Width, Func<ProbeSample, float[]> Maps)> layers)
    : IActivationSource
{
    public int ForwardPasses { get; private set; }
    public Action<int>? BeforeForward { get; init; }

    public string Identity => "planted";
    public Device Device => torch.CPU;

    public void CheckLayers(IReadOnlyList<string> names)
    {
        foreach (string name in names)
            if (!layers.ContainsKey(name))
                throw new UnitScopeException(EngineErrorKind.UnknownLayer, $"No layer '{name}'.");
    }

    public IReadOnlyDictionary<string, Tensor> Forward(IReadOnlyList<ProbeSample> batch, IReadOnlyList<string> names)
    {
        BeforeForward?.Invoke(ForwardPasses);
        ForwardPasses++;
        return names.ToDictionary(n => n, n =>
        {
            var (units, h, w, maps) = layers[n];
            var values = batch.SelectMany(maps).ToArray();
            return tensor(values, [batch.Count, units, h, w]);
        });
    }

    /// <summary>Maps as a function of the sample: one value per unit, row and column.</summary>
    public static Func<ProbeSample, float[]> Maps(int units, int h, int w, Func<ProbeSample, int, int, int, float> value) =>
        sample =>
        {
            var values = new float[units * h * w];
            for (int u = 0; u < units; u++)
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                        values[(u * h + y) * w + x] = value(sample, u, y, x);
            return values;
        };
}
