using UnitScope.Engine.Analysis.Dissection;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Dissection;

/// <summary>
/// Unit cards' masks: a fresh result carries them from pass 2, a stored one gets them by running the
/// model on its top images again; both are the dissector's masks.
/// </summary>
public sealed class TopImageMasksTests : IDisposable
{
    readonly string _cache = Directory.CreateTempSubdirectory("unitscope-masks-test-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    [Fact]
    public void Masks_recomputed_by_the_model_are_the_ones_pass_two_kept()
    {
        using var model = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { InputHeight = 32, InputWidth = 32, Device = "cpu" });
        var probe = ProbeSet.EnsureBuiltIn(_cache, new ProbeSetOptions { Count = 24, ImageSize = 32, MaskSize = 21 });
        var fresh = Dissector.Run(model, probe, ["conv2"], new DissectionOptions { TopImages = 3, Quantile = 0.02, BatchSize = 5 },
            null, CancellationToken.None).Single();
        var stored = fresh with { Units = [.. fresh.Units.Select(u => u with { TopMasks = null })] };

        var recomputed = TopImageMasks.ForLayer(model, probe, stored, batchSize: 4).ToList();

        recomputed.Select(r => r.Unit.Unit).Should().Equal(fresh.Units.Select(u => u.Unit));
        long pixels = 0, differing = 0;
        foreach (var (unit, masks) in recomputed)
        {
            var kept = fresh.Units[unit.Unit].TopMasks!;
            masks.Select(m => m.ImageIndex).Should().Equal(kept.Select(m => m.ImageIndex));
            foreach (var (again, first) in masks.Zip(kept))
            {
                (again.Height, again.Width).Should().Be((21, 21));
                var (a, b) = (again.ToArray(), first.ToArray());
                pixels += a.Length;
                differing += a.Zip(b).Count(p => p.First != p.Second);
            }
        }
        fresh.Units.SelectMany(u => u.TopMasks!).Should().Contain(m => m.ToArray().Any(on => on), "some top image has an \"on\" region");
        // Batches of another size may round a convolution differently in the last bit: a pixel at the threshold may flip.
        differing.Should().BeLessThanOrEqualTo(pixels / 1000, "the same masks, up to rounding at the threshold");
    }

    [Fact]
    public void A_result_with_masks_needs_no_model_and_one_without_says_so()
    {
        var mask = new UnitMask(0, 2, 2, [0b0110]);
        var unit = new UnitDissection(0, 1f, null, null, [], [new TopImage(0, 2f)]) { TopMasks = [mask] };
        var layer = new LayerDissection("conv", "c", "d", new DissectionOptions(), 1, [unit], new Dictionary<string, int>());
        var data = InMemoryProbeSet.Random(1, 1, [(2, 2)]);

        TopImageMasks.ForLayer(null, data, layer).Single().Masks.Should().Equal(mask);
        var act = () => TopImageMasks.ForLayer(null, data, layer with { Units = [unit with { TopMasks = null }] }).ToList();
        act.Should().Throw<InvalidOperationException>().WithMessage("*carries no masks*");
    }
}
