using UnitScope.Engine.Analysis.Gan;
using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Gan;

/// <summary>
/// A segmenter by rule, for tests: category "tone" (1 bright: mean of R, G, B above 0.52; 2 dark: below 0.48) and
/// "hue" (3 reddish: R above both G and B by 0.015), so some samples have no "hue" label at all (dissection's
/// category conditioning is exercised). The thresholds fit the fixture generator's images, which stay near grey.
/// </summary>
sealed class RuleSegmenter : ISceneSegmenter
{
    public string Identity => "rule-segmenter-v1";
    public IReadOnlyList<Concept> Concepts { get; } =
        [new(1, "bright", "tone"), new(2, "dark", "tone"), new(3, "reddish", "hue")];
    public IReadOnlyList<string> Categories { get; } = ["tone", "hue"];

    public IReadOnlyDictionary<string, Tensor> Segment(Tensor images)
    {
        using var scope = NewDisposeScope();
        var x = images.cpu();
        var mean = x.mean([1]);
        var tone = zeros(mean.shape, ScalarType.Int64);
        tone = where(mean.gt(0.52), ones_like(tone), tone);
        tone = where(mean.lt(0.48), full_like(tone, 2), tone);
        var r = x[.., 0];
        var reddish = r.gt(x[.., 1].add(0.015)).logical_and(r.gt(x[.., 2].add(0.015)));
        var hue = where(reddish, full(reddish.shape, 3L, ScalarType.Int64), zeros(reddish.shape, ScalarType.Int64));
        return new Dictionary<string, Tensor> { ["tone"] = tone.MoveToOuterDisposeScope(), ["hue"] = hue.MoveToOuterDisposeScope() };
    }
}
