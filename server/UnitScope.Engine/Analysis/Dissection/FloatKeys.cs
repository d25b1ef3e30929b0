namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Floats as ordered integers: <c>Key(a) &lt; Key(b)</c> exactly when <c>a &lt; b</c> (−0 is keyed as +0;
/// no NaN reaches here, pass 1 refuses them). Counting by key instead of by value bins makes every
/// bin boundary exact: a bin holds a run of consecutive representable floats, a bin one key wide holds
/// one float, so quantiles found by narrowing key ranges are exact order statistics, not estimates.
/// </summary>
internal static class FloatKeys
{
    /// <summary>Bins of the coarse grid over all keys (<see cref="Coarse"/>): the top 12 bits of a key, 2^20 keys (1/8 of an octave) each.</summary>
    public const int CoarseBins = 4096;

    /// <summary>Keys per coarse bin.</summary>
    public const long CoarseWidth = 1L << 20;

    public static int Key(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value + 0f); // −0 + 0 = +0
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }

    public static float Value(long key)
    {
        int k = (int)key;
        return BitConverter.Int32BitsToSingle(k >= 0 ? k : k ^ 0x7FFFFFFF);
    }

    /// <summary>The coarse bin of a key, 0…<see cref="CoarseBins"/> − 1, in key order.</summary>
    public static int Coarse(int key) => (int)(((uint)key ^ 0x80000000u) >> 20);

    /// <summary>The first key of coarse bin <paramref name="bin"/> (clamped to the key range).</summary>
    public static long CoarseStart(int bin) => int.MinValue + Math.Clamp(bin, 0, CoarseBins) * CoarseWidth;
}
