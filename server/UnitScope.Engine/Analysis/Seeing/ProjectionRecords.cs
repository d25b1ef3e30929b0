using System.Text.Json.Serialization;
using UnitScope.Engine.Layers.ReceptiveFields;

namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>How an activation is taken back to the pixels (by name in JSON).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProjectionMethod>))]
public enum ProjectionMethod
{
    /// <summary>
    /// Zeiler &amp; Fergus's deconvnet: from the one activation (every other set to zero), back through each layer in
    /// turn: max-pooling undone by putting values where the forward pass's maxima were (its switches), ReLU applied to
    /// the reconstruction, convolution undone by the transposed filters. Only for a chain of such modules.
    /// </summary>
    Deconvnet,
    /// <summary>Guided backpropagation (Springenberg et al. 2015): the gradient of the activation with respect to the
    /// input, where each ReLU passes back only positive gradients at positions it let through.</summary>
    GuidedBackprop,
    /// <summary>The plain gradient of the activation with respect to the input.</summary>
    Gradient,
}

/// <summary>The method used for a layer, and why that one.</summary>
public sealed record ProjectionChoice(ProjectionMethod Method, string Reason);

/// <summary>
/// One activation's projection to the pixels, cut to its receptive field: <see cref="Box"/> is the field's box in the
/// model's input (clipped to it; the whole input where the layer has no field of its own), <see cref="Values"/> the
/// projection there, [channels, box height, box width] row-major, in the model's input units (normalised).
/// </summary>
public sealed record UnitProjection(TopActivation Activation, PixelBox Box, int Channels, float[] Values);

/// <summary>The projections of a unit's strongest activations, with the method and its reason.</summary>
public sealed record UnitProjections(
    string Layer,
    int Unit,
    ProjectionMethod Method,
    string Reason,
    int InputHeight,
    int InputWidth,
    ReceptiveField? Field,
    IReadOnlyList<UnitProjection> Items);
