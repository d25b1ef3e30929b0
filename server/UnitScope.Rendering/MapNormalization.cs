namespace UnitScope.Rendering;

/// <summary>Scaling map values to [0, 1] for colouring.</summary>
public static class MapNormalization
{
    /// <summary>
    /// (v − min) / (max − min), clamped to [0, 1], with min/max the given range or else the finite
    /// minimum and maximum of <paramref name="values"/>. A constant map (max ≤ min, including an
    /// all-NaN one) has no spatial structure to show: every value becomes 0, the colormap's low
    /// end. NaN values become 0 too.
    /// </summary>
    public static float[] ToUnitRange(ReadOnlySpan<float> values, float? min = null, float? max = null)
    {
        float lo = min ?? float.PositiveInfinity, hi = max ?? float.NegativeInfinity;
        if (min is null || max is null)
        {
            foreach (var v in values)
            {
                if (!float.IsFinite(v)) continue;
                if (min is null && v < lo) lo = v;
                if (max is null && v > hi) hi = v;
            }
        }
        var result = new float[values.Length];
        if (!(hi > lo) || !float.IsFinite(hi - lo))
            return result;
        float scale = 1f / (hi - lo);
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            result[i] = float.IsNaN(v) ? 0f : Math.Clamp((v - lo) * scale, 0f, 1f);
        }
        return result;
    }
}
