using UnitScope.Engine.Analysis.Adversarial;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Tests.Demo;
using Xunit.Abstractions;

namespace UnitScope.Engine.Tests.Adversarial;

/// <summary>
/// PGD against the trained demo model (the VGG-11-BN of the probe scenes). The probe scenes are large flat regions
/// the model separates with wide margins, so it is harder to fool than an undefended CIFAR model (Madry et al. 2018:
/// nearly every image at 8/255): measured here with 10 PGD steps, 14.6 % of 48 images at 4/255, 37.5 % at 8/255,
/// 58.3 % at 16/255 (FGSM: 6.2 %, 22.9 %, 43.8 %). The test holds the 16/255 point.
/// </summary>
[Collection(TrainedDemoCollection.Name)]
public class DemoAttackTests(TrainedDemo demo, ITestOutputHelper output)
{
    /// <summary>The first <paramref name="perClass"/> images of every scene that the model classifies right.</summary>
    internal static List<AttackInput> RightlyClassified(TrainedDemo demo, int perClass)
    {
        var map = EvaluationSet.MapClasses(demo.Scenes, demo.Session.ClassNames);
        var inputs = new List<AttackInput>();
        var taken = new int[demo.Scenes.ClassNames.Count];
        for (int i = 0; i < demo.Scenes.Count && taken.Any(t => t < perClass); i++)
        {
            int cls = demo.Scenes.ClassOf(i);
            if (taken[cls] >= perClass) continue;
            var sample = demo.Scenes.Load(i);
            if (demo.Session.Predict(sample.Image, 1).Top[0].Index != map[cls]) continue;
            inputs.Add(new AttackInput(demo.Scenes.ImageName(i), sample.Image, map[cls]));
            taken[cls]++;
        }
        return inputs;
    }

    [Fact]
    public void Pgd_fools_the_demo_model_on_most_images_at_16_levels_and_more_often_than_fgsm()
    {
        var images = RightlyClassified(demo, 8);
        var pgd = AdversarialAttack.Run(demo.Session, images, new AttackOptions { Method = AttackMethod.Pgd, Epsilon = 16 / 255.0, Steps = 10 });
        var fgsm = AdversarialAttack.Run(demo.Session, images, new AttackOptions { Method = AttackMethod.Fgsm, Epsilon = 16 / 255.0 });
        output.WriteLine($"{images.Count} rightly classified images, ε = 16/255: PGD (10 steps) succeeds on {pgd.Succeeded} " +
            $"({pgd.SuccessRate:P1}), FGSM on {fgsm.Succeeded} ({fgsm.SuccessRate:P1}); mean source probability " +
            $"{pgd.Images.Average(i => i.CleanSourceProbability):F3} clean, {pgd.Images.Average(i => i.AttackedSourceProbability):F3} after PGD");

        images.Count.Should().BeGreaterThanOrEqualTo(40, "the demo model gets most scenes right");
        pgd.SuccessRate.Should().BeGreaterThan(0.5);
        pgd.Succeeded.Should().BeGreaterThan(fgsm.Succeeded, "PGD's steps find more than FGSM's one step");
        pgd.Images.Should().OnlyContain(i => i.MaxChange <= 16);
        pgd.Images.Average(i => i.AttackedSourceProbability).Should().BeLessThan(pgd.Images.Average(i => i.CleanSourceProbability) - 0.3f);
    }
}
