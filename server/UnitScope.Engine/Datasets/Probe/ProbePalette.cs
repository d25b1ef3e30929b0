namespace UnitScope.Engine.Datasets.Probe;

/// <summary>
/// What each of Broden's colour names means in the probe set: an RGB box (and, for black, grey and white,
/// a bound on the spread between channels). The boxes are disjoint, so a pixel's colour label can be
/// recomputed from its RGB alone (<see cref="Classify"/>); paints are drawn from the middle of a box, and
/// shading and noise are clamped to the box, so every painted pixel stays inside its colour's region.
/// </summary>
internal static class ProbePalette
{
    internal readonly record struct ColorBox(int Label, byte R0, byte R1, byte G0, byte G1, byte B0, byte B1, int MaxSpread)
    {
        public bool Contains(int r, int g, int b) =>
            r >= R0 && r <= R1 && g >= G0 && g <= G1 && b >= B0 && b <= B1
            && Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b)) <= MaxSpread;
    }

    const int Any = 255;

    /// <summary>By label number − 1 (black … yellow).</summary>
    public static readonly ColorBox[] Boxes =
    [
        new(ProbeVocabulary.Black, 0, 55, 0, 55, 0, 55, 20),
        new(ProbeVocabulary.Blue, 10, 70, 50, 120, 160, 235, Any),
        new(ProbeVocabulary.Brown, 100, 150, 55, 95, 15, 55, Any),
        new(ProbeVocabulary.Green, 20, 90, 110, 190, 20, 90, Any),
        new(ProbeVocabulary.Grey, 95, 175, 95, 175, 95, 175, 20),
        new(ProbeVocabulary.Orange, 225, 255, 110, 160, 0, 50, Any),
        new(ProbeVocabulary.Pink, 225, 255, 140, 190, 175, 215, Any),
        new(ProbeVocabulary.Purple, 100, 155, 20, 70, 140, 200, Any),
        new(ProbeVocabulary.Red, 170, 235, 15, 60, 15, 60, Any),
        new(ProbeVocabulary.White, 210, 255, 210, 255, 210, 255, 20),
        new(ProbeVocabulary.Yellow, 220, 255, 200, 240, 0, 110, Any),
    ];

    public static ColorBox Box(int color) => Boxes[color - 1];

    /// <summary>The colour label whose region holds (r, g, b), or 0 when none does.</summary>
    public static int Classify(int r, int g, int b)
    {
        foreach (var box in Boxes)
            if (box.Contains(r, g, b))
                return box.Label;
        return 0;
    }

    /// <summary>A paint of colour <paramref name="color"/>, drawn from the middle 60 % of its box
    /// (neutral colours: a gray level with channels at most 8 apart).</summary>
    public static Paint Draw(ProbeRandom rng, int color)
    {
        var box = Box(color);
        if (box.MaxSpread < Any)
        {
            int v = Mid(rng, box.R0, box.R1);
            return new Paint(color, Jitter(rng, v, box.R0, box.R1), Jitter(rng, v, box.G0, box.G1), Jitter(rng, v, box.B0, box.B1));
        }
        return new Paint(color, (byte)Mid(rng, box.R0, box.R1), (byte)Mid(rng, box.G0, box.G1), (byte)Mid(rng, box.B0, box.B1));
    }

    static int Mid(ProbeRandom rng, int lo, int hi)
    {
        int margin = (hi - lo) / 5;
        return rng.Int(lo + margin, hi - margin + 1);
    }

    static byte Jitter(ProbeRandom rng, int v, int lo, int hi) => (byte)Math.Clamp(v + rng.Int(-4, 5), lo, hi);
}

/// <summary>A paint: a colour label and its base RGB (inside the label's box).</summary>
internal readonly record struct Paint(int Color, byte R, byte G, byte B);
