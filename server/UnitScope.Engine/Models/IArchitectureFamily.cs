using static TorchSharp.torch;

namespace UnitScope.Engine.Models;

/// <summary>
/// A family of zoo architectures (e.g. VGG 11/13/16/19 with and without BN) that shares one
/// module definition. Topology comes from the architecture's name; widths, input channels and
/// classes come from the checkpoint's shapes, so reduced-width and fine-tuned checkpoints load.
/// </summary>
public interface IArchitectureFamily
{
    IReadOnlyList<string> Names { get; }

    /// <summary>Input height and width the family was designed for.</summary>
    int DefaultInputSize { get; }

    /// <summary>Which of <see cref="Names"/> the keys describe, or null when they are not this family's.</summary>
    string? Detect(ParameterShapes shapes);

    /// <summary>
    /// Builds <paramref name="name"/> with widths read from <paramref name="shapes"/>, falling back to
    /// the published widths for keys that are absent (the weight loader then reports them).
    /// </summary>
    nn.Module<Tensor, Tensor> Build(string name, ParameterShapes shapes);

    /// <summary>True for an image generator: its input is a latent vector [N, nz, 1, 1] (nz from its first layer), not an image.</summary>
    bool IsGenerator => false;
}
