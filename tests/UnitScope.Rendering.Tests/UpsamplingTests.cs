namespace UnitScope.Rendering.Tests;

public class UpsamplingTests
{
    /// <summary>Bilinear align_corners=False written out per output pixel, in doubles, as the
    /// definition reads: sample the continuous grid at the output pixel's centre mapped back.</summary>
    static float BruteForce(float[] map, int h, int w, int outH, int outW, int oy, int ox)
    {
        static (int, int, double) Axis(int o, int inSize, int outSize)
        {
            double src = (o + 0.5) * inSize / outSize - 0.5;
            if (src < 0) src = 0;
            int lo = (int)Math.Floor(src);
            if (lo > inSize - 1) lo = inSize - 1;
            int hi = lo + 1 > inSize - 1 ? inSize - 1 : lo + 1;
            return (lo, hi, src - lo);
        }
        var (y0, y1, fy) = Axis(oy, h, outH);
        var (x0, x1, fx) = Axis(ox, w, outW);
        double v = map[y0 * w + x0] * (1 - fy) * (1 - fx) + map[y0 * w + x1] * (1 - fy) * fx
                 + map[y1 * w + x0] * fy * (1 - fx) + map[y1 * w + x1] * fy * fx;
        return (float)v;
    }

    static void Check(float[] map, int h, int w, int outH, int outW, float[] expected, float tolerance)
    {
        var actual = MapUpsampling.Bilinear(map, h, w, outH, outW);
        actual.Should().HaveCount(outH * outW);
        for (int i = 0; i < actual.Length; i++)
            actual[i].Should().BeApproximately(expected[i], tolerance, "output ({0},{1}) of {2}x{3} → {4}x{5}", i / outW, i % outW, h, w, outH, outW);
    }

    [Theory]
    [InlineData(7, 7, 224, 224)]
    [InlineData(3, 5, 32, 32)]
    [InlineData(1, 1, 5, 4)]
    [InlineData(13, 13, 100, 67)]
    [InlineData(8, 6, 3, 5)]
    [InlineData(4, 4, 4, 4)]
    public void Matches_a_brute_force_reference(int h, int w, int outH, int outW)
    {
        var rng = new Random(h * 1000 + w);
        var map = Enumerable.Range(0, h * w).Select(_ => (float)(rng.NextDouble() * 10 - 3)).ToArray();
        var expected = new float[outH * outW];
        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
                expected[y * outW + x] = BruteForce(map, h, w, outH, outW, y, x);
        Check(map, h, w, outH, outW, expected, 1e-4f);
    }

    [Fact]
    public void Matches_pytorch_interpolate_bilinear_align_corners_false()
    {
        int cases = 0;
        foreach (var c in Fixtures.Ref("upsample").EnumerateArray())
        {
            var mapJson = c.GetProperty("map");
            int h = mapJson.GetArrayLength(), w = mapJson[0].GetArrayLength();
            Check(Fixtures.Flat(mapJson), h, w, c.GetProperty("height").GetInt32(), c.GetProperty("width").GetInt32(),
                Fixtures.Flat(c.GetProperty("out")), 2e-5f);
            cases++;
        }
        cases.Should().BeGreaterThan(4);
    }

    [Fact]
    public void Hand_computed_2x2_to_4x4()
    {
        // align_corners=False: output centres at −0.25, 0.25, 0.75, 1.25 in source units → clamp, 0.25, 0.75, clamp.
        Check([0, 4, 8, 12], 2, 2, 4, 4,
            [0, 1, 3, 4,
             2, 3, 5, 6,
             6, 7, 9, 10,
             8, 9, 11, 12], 1e-6f);
    }

    [Fact]
    public void Wrong_value_count_is_rejected() =>
        Assert.Throws<ArgumentException>(() => MapUpsampling.Bilinear(new float[5], 2, 3, 4, 4));
}
