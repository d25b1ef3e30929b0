using UnitScope.Engine.Tests.Demo;
using UnitScope.Engine.Analysis;
using UnitScope.Engine.Analysis.Ablation;
using UnitScope.Engine.Datasets;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Ablation;

/// <summary>
/// The machinery under ablation: zeroing by hook equals zeroing the producing convolution's weights in a
/// second copy of the model; evaluating many unit sets per pass (the layer's output repeated per set) equals
/// replicating the input, including inside residual blocks and at a ReLU module a block calls twice.
/// </summary>
public class MaskedEvaluationTests : IClassFixture<MaskedEvaluationTests.Models>
{
    public sealed class Models : IDisposable
    {
        public readonly ModelSession Sample = Load(Path.Combine(ModelFixtures.RepoRoot, "samples", "smallcnn.pth"), null);
        public readonly ModelSession ResNet = Load(ModelFixtures.Checkpoint("resnet18_small"), 48);
        public readonly IEvaluationSet Shapes;
        public readonly IEvaluationSet Noise;

        public Models()
        {
            Shapes = new ShapeSet(Sample.ClassNames);
            Noise = new NoiseSet(ResNet.ClassNames, 48, 20);
        }

        static ModelSession Load(string path, int? size) => ModelSession.Load(path, new ModelOptions { Device = "cpu", InputHeight = size });

        public void Dispose()
        {
            Sample.Dispose();
            ResNet.Dispose();
        }
    }

    readonly Models _m;

    public MaskedEvaluationTests(Models models) => _m = models;

    [Fact]
    public void Zeroing_by_hook_equals_zeroing_the_convolution_that_makes_the_channels()
    {
        int[] units = [1, 4, 7, 30];
        var hooked = Ablator.Ablate(_m.Sample, _m.Shapes, new AblationRequest { Layer = "conv2", Units = units, RandomControls = 0 });

        using var copy = ModelSession.Load(Path.Combine(ModelFixtures.RepoRoot, "samples", "smallcnn.pth"), new ModelOptions { Device = "cpu" });
        using (no_grad())
        {
            var parameters = copy.Module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (int u in units)
            {
                parameters["conv2.weight"][u].zero_();
                parameters["conv2.bias"][u].zero_();
            }
        }
        var edited = Ablator.Ablate(copy, _m.Shapes, new AblationRequest { Layer = "conv2", Units = [0], RandomControls = 0 });

        hooked.AccuracyAfter.Should().Be(edited.AccuracyBefore);
        hooked.AccuracyAfter.Should().BeLessThan(hooked.AccuracyBefore + 1e-9);
        foreach (var row in hooked.Classes)
        {
            var other = edited.Classes.Single(c => c.ClassIndex == row.ClassIndex);
            row.After.Should().Be(other.Before);
            row.LogProbabilityAfter.Should().BeApproximately(other.LogProbabilityBefore, 1e-5);
        }
    }

    [Theory]
    [InlineData("layer2", "Expand")]
    [InlineData("layer1.0.conv1", "ExpandOneImage")]
    [InlineData("layer2.0.relu", "ExpandOneImage")]
    [InlineData("layer3.1.bn2", "ExpandOneImage")]
    [InlineData("avgpool", "Expand")]
    [InlineData("fc", "Expand")]
    public void Many_unit_sets_per_pass_give_what_replicating_the_input_gives(string layer, string expectedMode)
    {
        int units = _m.ResNet.GetLayer(layer).Units;
        var rng = new Random(3);
        List<int[]> masks = [[], .. Enumerable.Range(0, 9).Select(k => Enumerable.Range(0, units).Where(_ => rng.NextDouble() < 0.3).ToArray())];
        int[] images = [.. Enumerable.Range(0, _m.Noise.Count)];
        int[] truth = [.. images.Select(_m.Noise.ClassOf)];
        var auto = MaskedEvaluation.Run(_m.ResNet, _m.Noise, images, truth, layer, masks, 24, AnalysisPhase.Ablation, null, CancellationToken.None);
        var replicated = MaskedEvaluation.Run(_m.ResNet, _m.Noise, images, truth, layer, masks, 24, AnalysisPhase.Ablation, null, CancellationToken.None,
            forceMode: MaskedEvaluation.Mode.Replicate);
        var alone = masks.Select(mask => MaskedEvaluation.Run(_m.ResNet, _m.Noise, images, truth, layer, [mask], 7, AnalysisPhase.Ablation, null, CancellationToken.None)).ToList();

        auto.Mode.ToString().Should().Be(expectedMode);
        for (int k = 0; k < masks.Count; k++)
        {
            auto.LogProbability[k].Should().Equal(replicated.LogProbability[k], (a, b) => Math.Abs(a - b) <= 1e-4f * Math.Max(1, Math.Abs(b)));
            auto.LogProbability[k].Should().Equal(alone[k].LogProbability[0], (a, b) => Math.Abs(a - b) <= 1e-4f * Math.Max(1, Math.Abs(b)));
            auto.Predicted[k].Zip(replicated.Predicted[k]).Count(p => p.First != p.Second).Should().BeLessThanOrEqualTo(1, "only a near tie may flip");
        }
        auto.LogProbability[0].Should().NotEqual(auto.LogProbability[1], "the masks change the output");
    }

    [Fact]
    public void Auc_counts_ties_as_half()
    {
        Ablator.Auc([3f, 4f], [1f, 2f]).Should().Be(1);
        Ablator.Auc([1f, 2f], [3f, 4f]).Should().Be(0);
        Ablator.Auc([1f, 1f], [1f]).Should().Be(0.5);
        Ablator.Auc([2f, 0f], [1f]).Should().Be(0.5);
        Ablator.Auc([2f, 1f], [1f, 0f]).Should().Be(0.875);
    }

    [Fact]
    public void Classes_that_the_model_does_not_have_are_a_user_error()
    {
        var named = () => Ablator.Ablate(_m.Sample, new NoiseSet(["tench", "goldfish"], 64, 4), new AblationRequest { Layer = "conv2", Units = [1] });
        named.Should().Throw<UnitScopeException>().WithMessage("*None of the classes of noise match the model's class names: 'tench', 'goldfish' not among*'circle'*");
        var byIndex = () => Ablator.Ablate(_m.ResNet, new NoiseSet([.. Enumerable.Range(0, 11).Select(i => $"c{i}")], 48, 4), new AblationRequest { Layer = "layer2", Units = [1] });
        byIndex.Should().Throw<UnitScopeException>().WithMessage("*11 classes but the model has 10 outputs and no class names*");
    }

    /// <summary>The four sample shapes, shifted and with noise: 32 images, 8 per class.</summary>
    sealed class ShapeSet : IEvaluationSet
    {
        readonly RgbImage[] _images;
        readonly int[] _classes;

        public ShapeSet(IReadOnlyList<string> classes)
        {
            ClassNames = classes;
            var rng = new Random(5);
            var images = new List<RgbImage>();
            var labels = new List<int>();
            for (int c = 0; c < classes.Count; c++)
            {
                var image = ImageFile.Load(Path.Combine(ModelFixtures.RepoRoot, "samples", "images", classes[c] + ".png"));
                for (int j = 0; j < 8; j++)
                {
                    int dx = rng.Next(-6, 7), dy = rng.Next(-6, 7);
                    var pixels = new byte[image.Pixels.Length];
                    for (int y = 0; y < image.Height; y++)
                        for (int x = 0; x < image.Width; x++)
                            for (int ch = 0; ch < 3; ch++)
                            {
                                int sx = Math.Clamp(x - dx, 0, image.Width - 1), sy = Math.Clamp(y - dy, 0, image.Height - 1);
                                pixels[(y * image.Width + x) * 3 + ch] = (byte)Math.Clamp(image[sy, sx, ch] + rng.Next(-60, 61), 0, 255);
                            }
                    images.Add(image with { Pixels = pixels });
                    labels.Add(c);
                }
            }
            _images = [.. images];
            _classes = [.. labels];
        }

        public string Name => "shapes";
        public string ContentHash => "shapes";
        public IReadOnlyList<string> ClassNames { get; }
        public int Count => _images.Length;
        public int ClassOf(int index) => _classes[index];
        public EvaluationSample Load(int index) => new(index, $"shape{index}", _images[index], _classes[index]);
    }

    /// <summary>Random images labelled round-robin with the given classes.</summary>
    sealed class NoiseSet(IReadOnlyList<string> classes, int size, int count) : IEvaluationSet
    {
        public string Name => "noise";
        public string ContentHash => "noise";
        public IReadOnlyList<string> ClassNames => classes;
        public int Count => count;
        public int ClassOf(int index) => index % classes.Count;

        public EvaluationSample Load(int index)
        {
            var rng = new Random(index);
            var pixels = new byte[size * size * 3];
            rng.NextBytes(pixels);
            return new EvaluationSample(index, $"noise{index}", new RgbImage(size, size, 3, pixels), ClassOf(index));
        }
    }
}
