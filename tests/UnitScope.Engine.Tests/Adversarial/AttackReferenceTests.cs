using UnitScope.Engine.Analysis.Adversarial;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Adversarial;

/// <summary>
/// FGSM and PGD against PyTorch 1.13 (tests/fixtures/adversarial/make_adversarial_fixtures.py): the samples' SmallCNN
/// with odd widths (6, 20, 50, 100 channels) at 29×37, with a mean and std that are not ImageNet's, so an ε applied
/// to the normalised input, or a gradient taken there, would not match.
/// </summary>
public sealed class AttackReferenceTests : IDisposable
{
    static readonly string Folder = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "adversarial");
    readonly ModelSession _session = LoadModel();
    readonly StateDict _reference = CheckpointReader.Read(Path.Combine(Folder, "fgsm.reference.safetensors"));

    internal static ModelSession LoadModel() => ModelSession.Load(
        Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "odd_channels", "smallcnn_odd.pth"),
        new ModelOptions { Device = "cpu", InputHeight = 29, InputWidth = 37, Mean = [0.40f, 0.50f, 0.60f], Std = [0.20f, 0.25f, 0.30f] });

    long[] Classes(string name) => [.. _reference[name].data<float>().ToArray().Select(v => (long)v)];

    [Fact]
    public void The_pixel_gradient_is_pytorchs()
    {
        using var scope = NewDisposeScope();
        var (mean, std) = PixelAttack.Normalisation(_session.Input, CPU);
        var gradient = PixelAttack.LossGradient(_session, _reference["clean"], mean, std, tensor(Classes("labels")));
        UnitScope.Engine.Tests.Onnx.Check.Close(gradient, _reference["grad"], "gradient");
    }

    [Theory]
    [InlineData("fgsm", AttackMethod.Fgsm, 3, null, false)]
    [InlineData("fgsm_targeted", AttackMethod.Fgsm, 3, null, true)]
    [InlineData("pgd", AttackMethod.Pgd, 4, 3, false)]
    public void The_attacked_pixels_are_pytorchs(string name, AttackMethod method, int epsilonLevels, int? steps, bool targeted)
    {
        using var scope = NewDisposeScope();
        var options = new AttackOptions { Method = method, Epsilon = epsilonLevels / 255.0, Steps = steps ?? 1, StepSize = 1 / 255.0 };
        var attacked = PixelAttack.Perturb(_session, _reference["clean"], Classes(targeted ? "targets" : "labels"), targeted, options);

        var expected = _reference[name];
        var difference = attacked.sub(expected).abs();
        // A pixel whose gradient is within rounding of 0 may take the other sign (a step of 2 ε); the fixture's float32
        // and float64 gradients agree in sign everywhere, so every pixel must match.
        difference.max().item<float>().Should().BeLessThan(1e-6f, $"{name} is PyTorch's to float32 rounding");
        var change = attacked.sub(_reference["clean"]).abs();
        float reach = (float)Math.Min(options.Epsilon, options.EffectiveSteps * options.EffectiveStepSize);
        change.max().item<float>().Should().BeApproximately(reach, 1e-6f, "some pixel moves as far as the steps reach");
    }

    public void Dispose()
    {
        _reference.Dispose();
        _session.Dispose();
    }
}
