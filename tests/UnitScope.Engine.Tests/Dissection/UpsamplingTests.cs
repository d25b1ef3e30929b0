using System.Text.Json;
using UnitScope.Engine.Analysis.Dissection;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// a_u's resampling equals PyTorch's F.interpolate(bilinear, align_corners=False): the engine's two
/// (matrix products through TorchSharp, and managed code for the CPU path) and the tests' own loops, all
/// against tests/fixtures/dissection/bilinear.json (written by make_bilinear_fixture.py with Debian's PyTorch 1.13).
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

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Engine_resampling_matches_pytorch(Fixture f)
    {
        using var scope = NewDisposeScope();
        var maps = tensor(f.Input, [f.Channels, f.InHeight, f.InWidth]);

        var ours = MaskUpsampling.ToMask(maps, f.OutHeight, f.OutWidth).data<float>().ToArray();

        ours.Should().HaveCount(f.Output.Length);
        for (int i = 0; i < ours.Length; i++)
            ours[i].Should().BeApproximately(f.Output[i], 1e-5f * Math.Max(1, Math.Abs(f.Output[i])), $"value {i}");
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
                ours[i].Should().BeApproximately(f.Output[c * outSize + i], 1e-5 * Math.Max(1, Math.Abs(f.Output[c * outSize + i])), $"channel {c} value {i}");
        }
    }
}
