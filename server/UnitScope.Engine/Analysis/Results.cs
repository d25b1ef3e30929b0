namespace UnitScope.Engine.Analysis;

public sealed record ClassScore(int Index, string Label, float Probability);

/// <summary>A forward pass's output for one image.</summary>
/// <param name="Score">The output itself when the model has only one (a discriminator's sigmoid, a regression): a score,
/// not a class; <paramref name="Probabilities"/> and <paramref name="Top"/> are then empty (a softmax over one value is
/// always 1, "class 0, 100%").</param>
public sealed record Prediction(IReadOnlyList<float> Logits, IReadOnlyList<float> Probabilities, IReadOnlyList<ClassScore> Top,
    float? Score = null);

/// <summary>
/// One unit's activation over one image at the layer's own resolution (row-major, Height × Width),
/// with its statistics. Upsampling to the image is the renderer's job.
/// </summary>
public sealed record UnitMap(string Layer, int Unit, int Height, int Width, float[] Values, float Min, float Max, float Mean);
