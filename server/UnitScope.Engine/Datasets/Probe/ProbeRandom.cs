namespace UnitScope.Engine.Datasets.Probe;

/// <summary>
/// The probe set's own PRNG: xoshiro256** seeded through SplitMix64 (Blackman &amp; Vigna), so a seed gives
/// the same stream on every .NET version (System.Random's algorithm is not specified). Not thread-safe:
/// each image gets its own, seeded from (set seed, image index).
/// </summary>
internal sealed class ProbeRandom
{
    ulong _s0, _s1, _s2, _s3;

    public ProbeRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>A generator for item <paramref name="index"/> of stream <paramref name="seed"/>.</summary>
    public static ProbeRandom For(long seed, long index, ulong salt = 0) =>
        new(Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)index + 0x632BE59BD9B4E019UL) ^ salt));

    public ulong Next()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double Double() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [lo, hi).</summary>
    public double Range(double lo, double hi) => lo + (hi - lo) * Double();

    /// <summary>Uniform whole number in [lo, hi).</summary>
    public int Int(int lo, int hi) => hi <= lo ? lo : lo + (int)((Next() >> 33) % (ulong)(hi - lo));

    public bool Chance(double p) => Double() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(0, items.Count)];

    /// <summary>A 32-bit seed for hash-based patterns.</summary>
    public uint Seed32() => (uint)(Next() >> 32);

    static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>A stateless hash of (seed, x, y) to [0, 2³²): per-cell pattern decisions and pixel noise.</summary>
    public static uint Hash(uint seed, int x, int y)
    {
        uint h = seed ^ ((uint)x * 0x8DA6B343u) ^ ((uint)y * 0xD8163841u);
        h ^= h >> 16; h *= 0x7FEB352Du;
        h ^= h >> 15; h *= 0x846CA68Bu;
        h ^= h >> 16;
        return h;
    }

    /// <summary><see cref="Hash"/> scaled to [0, 1).</summary>
    public static double Hash01(uint seed, int x, int y) => Hash(seed, x, y) * (1.0 / 4294967296.0);
}
