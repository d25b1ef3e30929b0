namespace UnitScope.Engine.Analysis;

public sealed record ClassScore(int Index, string Label, float Probability);

/// <summary>A forward pass's output for one image.</summary>
public sealed record Prediction(IReadOnlyList<float> Logits, IReadOnlyList<float> Probabilities, IReadOnlyList<ClassScore> Top);

/// <summary>
/// One unit's activation over one image at the layer's own resolution (row-major, Height × Width),
/// with its statistics. Upsampling to the image is the renderer's job.
/// </summary>
public sealed record UnitMap(string Layer, int Unit, int Height, int Width, float[] Values, float Min, float Max, float Mean);
