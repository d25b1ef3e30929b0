using UnitScope.Engine.Analysis.Adversarial;
using UnitScope.Engine.Imaging;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Adversarial;

/// <summary>
/// What every attack keeps, whatever the image, ε and method: the saved 8-bit image is within ⌊255 ε⌋ levels of the
/// clean one at every channel value (integers, asserted exactly), and the float pixels the attack works on stay in
/// [0, 1] and within ε (to float32 rounding of x₀ ± ε).
/// </summary>
public sealed class AttackBoundsTests : IDisposable
{
    readonly ModelSession _session = AttackReferenceTests.LoadModel();

    /// <summary>Random images of other sizes and channel counts than the model's 29×37×3, with saturated regions (0 and 255) where clipping to [0, 1] binds.</summary>
    static List<AttackInput> Images(int seed)
    {
        var random = new Random(seed);
        var images = new List<AttackInput>();
        foreach (var (w, h, c) in new[] { (41, 23, 3), (37, 29, 1), (13, 50, 3), (37, 29, 3), (30, 30, 3) })
        {
            var px = new byte[w * h * c];
            random.NextBytes(px);
            for (int i = 0; i < px.Length / 4; i++) px[i] = (byte)(i % 2 == 0 ? 0 : 255);
            images.Add(new AttackInput($"{w}x{h}x{c}", new RgbImage(w, h, c, px)));
        }
        return images;
    }

    [Theory]
    [InlineData(AttackMethod.Fgsm, 1 / 255.0, false, null)]
    [InlineData(AttackMethod.Fgsm, 0.01, false, 7)]
    [InlineData(AttackMethod.Pgd, 5 / 255.0, true, null)]
    [InlineData(AttackMethod.Pgd, 0.0314, true, 2)]
    [InlineData(AttackMethod.Pgd, 0.1, false, null)]
    public void The_saved_image_is_within_epsilon_of_the_clean_one(AttackMethod method, double epsilon, bool randomStart, int? target)
    {
        var options = new AttackOptions { Method = method, Epsilon = epsilon, Steps = 4, RandomStart = randomStart, TargetClass = target, BatchSize = 3, Seed = 5 };
        var result = AdversarialAttack.Run(_session, Images(11), options);

        int levels = (int)Math.Floor(epsilon * 255 + 1e-3);
        result.EpsilonLevels.Should().Be(levels);
        result.Images.Should().HaveCount(5);
        foreach (var image in result.Images)
        {
            image.Attacked.Width.Should().Be(37);
            image.Attacked.Height.Should().Be(29);
            image.Attacked.Channels.Should().Be(3);
            int worst = 0;
            for (int i = 0; i < image.Clean.Pixels.Length; i++)
                worst = Math.Max(worst, Math.Abs(image.Attacked.Pixels[i] - image.Clean.Pixels[i]));
            worst.Should().BeLessThanOrEqualTo(levels, $"{image.Name}: {levels} levels is ε = {epsilon}");
            (worst / 255.0).Should().BeLessThanOrEqualTo(epsilon);
            image.MaxChange.Should().Be(worst);
            worst.Should().BeGreaterThan(0, "the attack changes the image");
        }
    }

    [Fact]
    public void Fgsm_moves_a_pixel_by_epsilon_or_not_at_all_except_where_the_range_ends()
    {
        var result = AdversarialAttack.Run(_session, Images(3), new AttackOptions { Method = AttackMethod.Fgsm, Epsilon = 3 / 255.0 });
        int inside = 0, moved = 0;
        foreach (var image in result.Images)
            for (int i = 0; i < image.Clean.Pixels.Length; i++)
            {
                int b = image.Clean.Pixels[i], change = image.Attacked.Pixels[i] - b;
                if (b < 3 || b > 252) continue;
                inside++;
                // sign(0) = 0: a pixel with no gradient (behind a dead ReLU everywhere it reaches) stays.
                Math.Abs(change).Should().BeOneOf([0, 3], $"{image.Name} value {i} ({b}) moves by ε or not at all");
                if (change != 0) moved++;
            }
        moved.Should().BeGreaterThan(inside * 9 / 10, "most pixels have a gradient");
    }

    [Theory]
    [InlineData(0.02, true)]
    [InlineData(0.3, false)]
    public void The_float_pixels_stay_in_range_and_within_epsilon(double epsilon, bool randomStart)
    {
        using var scope = NewDisposeScope();
        var sized = Images(7).Select(i => AdversarialAttack.ModelSized(i.Image, _session.Input)).ToList();
        var clean = AdversarialAttack.Pixels(sized);
        var options = new AttackOptions { Method = AttackMethod.Pgd, Epsilon = epsilon, Steps = 5, RandomStart = randomStart };
        var attacked = PixelAttack.Perturb(_session, clean, [0, 1, 2, 3, 4], targeted: false, options);

        attacked.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
        attacked.max().item<float>().Should().BeLessThanOrEqualTo(1f);
        var change = attacked.to(float64).sub(clean.to(float64)).abs().max().item<double>();
        change.Should().BeLessThanOrEqualTo(epsilon + 6e-8, "within ε, give or take float32's rounding of x₀ ± ε (at most half an ulp of 1)");
        change.Should().BeGreaterThan(epsilon / 2);
    }

    [Theory]
    [InlineData(0.5 / 255, null, "epsilon")]
    [InlineData(1.5, null, "epsilon")]
    [InlineData(double.NaN, null, "epsilon")]
    [InlineData(0.01, 10, "target")]
    [InlineData(0.01, -1, "target")]
    public void Bad_options_are_refused_naming_the_option(double epsilon, int? target, string named)
    {
        var act = () => AdversarialAttack.Run(_session, Images(1), new AttackOptions { Epsilon = epsilon, TargetClass = target });
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument && e.Message.Contains(named));
    }

    [Fact]
    public void A_random_start_is_the_same_for_the_same_seed()
    {
        var options = new AttackOptions { Method = AttackMethod.Pgd, Epsilon = 4 / 255.0, Steps = 2, RandomStart = true, Seed = 9 };
        var first = AdversarialAttack.Run(_session, Images(2), options);
        var again = AdversarialAttack.Run(_session, Images(2), options);
        var other = AdversarialAttack.Run(_session, Images(2), options with { Seed = 10 });
        first.Images[0].Attacked.Pixels.Should().Equal(again.Images[0].Attacked.Pixels);
        first.Images[0].Attacked.Pixels.Should().NotEqual(other.Images[0].Attacked.Pixels);
    }

    public void Dispose() => _session.Dispose();
}
