using UnitScope.Engine.Datasets;
using static TorchSharp.torch;

namespace UnitScope.Engine.Analysis.Gan;

/// <summary>
/// What labels generated images for GAN dissection (the seed uses a pretrained scene segmenter the same way): per
/// pixel and category, one concept or none. A model (<see cref="ModelSegmenter"/>) or, in tests, a rule.
/// </summary>
public interface ISceneSegmenter
{
    /// <summary>Identity of what segments (a checkpoint's hash): part of every GAN result's cache key.</summary>
    string Identity { get; }

    /// <summary>Every concept it can answer, numbered 1, 2, … (0: none), with its category.</summary>
    IReadOnlyList<Concept> Concepts { get; }

    /// <summary>The categories, in order.</summary>
    IReadOnlyList<string> Categories { get; }

    /// <summary>
    /// Label maps of <paramref name="images"/> ([N, 3, H, W] in [0, 1], any device): per category a [N, H, W] int64
    /// tensor of concept ids (0 none), on the CPU, at the images' size.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> Segment(Tensor images);
}
