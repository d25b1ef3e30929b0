using System.Text.Json;
using UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// a_u's resampling equals PyTorch's F.interpolate(bilinear, align_corners=False): the engine's (whole
/// maps, and cell by cell as dissection does it) and the tests' own loops, all against
/// tests/fixtures/dissection/bilinear.json (written by make_bilinear_fixture.py with Debian's PyTorch 1.13).
/// </summary>
public class UpsamplingTests
{
    public sealed record Fixture(int Channels, int InHeight, int InWidth, int OutHeight, int OutWidth, float[] Input, float[] Output)
    {
        public override string ToString() => $"{Channels}x{InHeight}x{InWidth} -> {OutHeight}x{OutWidth}";
    }

    sealed record FixtureFile(string Torch, Fixture[] Cases);

    public static TheoryData<Fixture> Fixtures()
    {
        string path = Path.Combine(Models.ModelFixtures.RepoRoot, "tests", "fixtures", "dissection", "bilinear.json");
        var file = JsonSerializer.Deserialize<FixtureFile>(File.ReadAllText(path), Models.ModelFixtures.Json)!;
        var data = new TheoryData<Fixture>();
        foreach (var c in file.Cases) data.Add(c);
        return data;
    }

    /// <summary>
    /// Dissection resamples cell by cell: the cells tile the mask, their pixels are the very floats of
    /// whole-map resampling, and each lies within its sources' range (up to the stated margin).
    /// </summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Cells_tile_the_mask_with_the_floats_of_whole_map_resampling(Fixture f)
    {
        var grid = CellGrid.For(f.InHeight, f.InWidth, f.OutHeight, f.OutWidth);
        int inSize = f.InHeight * f.InWidth, outSize = f.OutHeight * f.OutWidth;
        var whole = new float[outSize];
        var scratch = new float[f.InHeight * f.OutWidth];
        var lo = new float[grid.Count];
        var hi = new float[grid.Count];
        var zero = new bool[grid.Count];
        var across = new float[2 * grid.WidestCell];
        var values = new float[grid.WidestCell * grid.TallestCell];
        for (int c = 0; c < f.Channels; c++)
        {
            var map = f.Input.AsSpan(c * inSize, inSize);
            MaskUpsampling.Resample(map, f.InHeight, f.InWidth, f.OutHeight, f.OutWidth, scratch, whole);
            grid.Bounds(map, lo, hi, zero);
            var covered = new int[outSize];
            for (int r = 0; r < grid.Rows.Length; r++)
                for (int k = 0; k < grid.Columns.Length; k++)
                {
                    int cell = r * grid.Columns.Length + k;
                    var (rows, cols) = (grid.Rows[r], grid.Columns[k]);
                    grid.Values(map, r, k, across, values);
                    double margin = CellGrid.Margin(lo[cell], hi[cell]);
                    for (int y = rows.Start, i = 0; y < rows.End; y++)
                        for (int x = cols.Start; x < cols.End; x++, i++)
                        {
                            covered[y * f.OutWidth + x]++;
                            values[i].Should().Be(whole[y * f.OutWidth + x], $"channel {c} pixel ({y}, {x})");
                            ((double)values[i]).Should().BeInRange(lo[cell] - margin, hi[cell] + margin);
                            values[i].Should().BeApproximately(f.Output[c * outSize + y * f.OutWidth + x], 1e-5f * Math.Max(1, Math.Abs(values[i])));
                        }
                }
            covered.Should().OnlyContain(n => n == 1, "the cells tile the mask");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Managed_resampling_matches_pytorch(Fixture f)
    {
        int inSize = f.InHeight * f.InWidth, outSize = f.OutHeight * f.OutWidth;
        var scratch = new float[f.InHeight * f.OutWidth];
        var output = new float[outSize];
        for (int c = 0; c < f.Channels; c++)
        {
            MaskUpsampling.Resample(f.Input.AsSpan(c * inSize, inSize), f.InHeight, f.InWidth, f.OutHeight, f.OutWidth, scratch, output);
            for (int i = 0; i < outSize; i++)
                output[i].Should().BeApproximately(f.Output[c * outSize + i], 1e-5f * Math.Max(1, Math.Abs(f.Output[c * outSize + i])), $"channel {c} value {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Reference_resampling_matches_pytorch(Fixture f)
    {
        int inSize = f.InHeight * f.InWidth, outSize = f.OutHeight * f.OutWidth;
        for (int c = 0; c < f.Channels; c++)
        {
            var ours = ReferenceDissection.Bilinear(f.Input.AsSpan(c * inSize, inSize), f.InHeight, f.InWidth, f.OutHeight, f.OutWidth);
            for (int i = 0; i < outSize; i++)
                ours[i].Should().BeApproximately(f.Output[c * outSize + i], 1e-5f * Math.Max(1, Math.Abs(f.Output[c * outSize + i])), $"channel {c} value {i}");
        }
    }
}
