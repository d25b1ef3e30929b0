using TorchSharp.Modules;
using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Maximization;

/// <summary>
/// Activation maximisation on units whose best image is known in closed form: a first convolution (no bias) is linear
/// in the pixels, so within the box of 8-bit pixels its maximum puts each pixel at 255 where its weight is positive and
/// at 0 where it is negative. The small CNN's conv1 (3×3, padding 1) gets hand-set weights for the unit optimised.
/// </summary>
public class KnownOptimumTests
{
    const int Unit = 1;

    static ModelSession WithKernel(Func<int, int, int, float> weight)
    {
        var session = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { Device = "cpu" });
        var conv = (Conv2d)session.Module.named_modules().First(m => m.name == "conv1").module;
        using var scope = NewDisposeScope();
        var kernel = new float[3 * 3 * 3];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    kernel[c * 9 + i * 3 + j] = weight(c, i, j);
        using (no_grad())
        {
            conv.weight![Unit].copy_(tensor(kernel).reshape(3, 3, 3));
            conv.bias![Unit].fill_(0);
        }
        return session;
    }

    [Fact]
    public void The_whole_map_of_a_sign_constant_kernel_is_maximised_by_the_colour_of_its_signs_everywhere()
    {
        // Red taps all positive, green all negative, blue all positive: every pixel's gradient has its channel's sign
        // at every position (a border pixel sees a part of the kernel, of the same sign), whatever the jitter's shift,
        // so the optimum is magenta (255, 0, 255) at every pixel, and the upscaling and blur of a constant image keep it.
        using var session = WithKernel((c, i, j) => c switch { 0 => 0.3f + 0.05f * i, 1 => -0.2f - 0.02f * j, _ => 0.1f });
        var options = new MaximizationOptions { Seed = 7, Rounds = 4, StepsPerRound = 25 };
        var result = ActivationMaximizer.Run(session, "conv1", Unit, options);

        result.Image.Pixels.Chunk(3).Should().OnlyContain(p => p[0] == 255 && p[1] == 0 && p[2] == 255);
        result.RoundSizes[0][0].Should().BeLessThan(session.Input.Height, "the recipe starts small");
        float start = ActivationMaximizer.ObjectiveOn(session, ActivationMaximizer.StartImage(session.Input, options), "conv1", Unit,
            MaximizationObjective.Channel);
        result.FinalActivation.Should().BeGreaterThan(start);
    }

    [Fact]
    public void The_centre_neuron_is_maximised_by_the_sign_pattern_of_its_kernel_under_its_receptive_field_only()
    {
        // Mixed signs over the taps; one round at the input size, no jitter, blur or decay: only the 3×3 pixels the
        // centre neuron sees have a gradient, each becomes 255 or 0 by its weight's sign, and every other pixel keeps
        // its starting value.
        static float Weight(int c, int i, int j) => ((c + 2 * i + j) % 3 == 0 ? -1 : 1) * (0.05f + 0.1f * c + 0.03f * i * j);
        using var session = WithKernel(Weight);
        var options = new MaximizationOptions { Objective = MaximizationObjective.Neuron, Seed = 3, Rounds = 1, StepsPerRound = 60, Jitter = 0, BlurSigma = 0, WeightDecay = 0 };
        var result = ActivationMaximizer.Run(session, "conv1", Unit, options);
        var start = ActivationMaximizer.StartImage(session.Input, options);

        int width = session.Input.Width, height = session.Input.Height;
        int cy = height / 2, cx = width / 2; // the centre neuron; with padding 1 it sees rows cy-1..cy+1, columns cx-1..cx+1
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                for (int c = 0; c < 3; c++)
                {
                    int p = (y * width + x) * 3 + c;
                    bool seen = Math.Abs(y - cy) <= 1 && Math.Abs(x - cx) <= 1;
                    byte expected = !seen ? start.Pixels[p] : Weight(c, y - cy + 1, x - cx + 1) > 0 ? (byte)255 : (byte)0;
                    result.Image.Pixels[p].Should().Be(expected, $"pixel ({y}, {x}) channel {c}{(seen ? ", under the receptive field" : "")}");
                }
    }
}
