using UnitScope.Engine.Analysis.Maximization;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;
using UnitScope.Engine.Tests.Onnx;
using UnitScope.Engine.TorchSharpModels;
using UnitScope.Engine.Tests.TorchSharpModels;

namespace UnitScope.Engine.Tests.Maximization;

/// <summary>
/// Activation maximisation on every kind of model UnitScope loads (a zoo checkpoint with residual blocks, an interpreted
/// ONNX graph, a user's TorchSharp class), reproducibility, the model left as it was, and the errors that name the
/// argument. Small models with untrained weights: what is checked holds whatever the weights.
/// </summary>
// Compares forward passes bit for bit (before/after, the model run directly): apart from tests that switch oneDNN.
[Collection(ExactNumerics.Name)]
public class MaximizationTests
{
    static readonly MaximizationOptions Short = new() { Rounds = 3, StepsPerRound = 6, Seed = 4 };

    public static readonly TheoryData<string, string, int> Models = new()
    {
        { "zoo:resnet18_small", "layer2.0.conv2", 3 },
        { "zoo:vgg16_small", "features.14", 5 },
        { "onnx:custom_cnn_opset13", "stem", 2 },
        { "csharp:FixtureModels.TinyCnn", "block.conv", 1 },
    };

    static ModelSession Load(string which)
    {
        var (kind, name) = (which.Split(':')[0], which.Split(':')[1]);
        return kind switch
        {
            "zoo" => ModelSession.Load(ModelFixtures.Checkpoint(name), new ModelOptions { Device = "cpu" }),
            "onnx" => ModelSession.Load(OnnxFixtures.Model(name), new ModelOptions { Device = "cpu" }),
            _ => LoadCSharp(name),
        };
    }

    // Convolutions rather than their ReLUs: with untrained weights a ReLU unit can be 0 over the whole starting
    // image, and then it has no gradient to follow (the CLI and the panel say so).

    /// <summary>The fixture class with its freshly initialised weights, saved by TorchSharp and loaded back as a user's model.</summary>
    static ModelSession LoadCSharp(string type)
    {
        var definition = CSharpModelDefinition.Create(FixtureModels.Assembly, null, type);
        var built = CSharpModelLoader.Build(definition);
        string dat = Path.Combine(Path.GetTempPath(), $"unitscope-maximize-{Guid.NewGuid():N}.dat");
        try
        {
            built.Module.save(dat);
            return ModelSession.Load(dat, new ModelOptions { Device = "cpu", Definition = definition, InputHeight = 32, InputWidth = 32 });
        }
        finally
        {
            built.Module.Dispose();
            built.Context.Dispose();
            File.Delete(dat);
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Steps_raise_the_objective_the_seed_fixes_the_bytes_and_the_model_is_unchanged(string which, string layer, int unit)
    {
        using var session = Load(which);
        session.GetLayer(layer);
        var probe = new RgbImage(session.Input.Width, session.Input.Height, 3, [.. Enumerable.Range(0, session.Input.Width * session.Input.Height * 3).Select(i => (byte)(i * 37 % 251))]);
        float[] outputBefore = Output(session, probe);

        var one = ActivationMaximizer.Run(session, layer, unit, Short with { Rounds = 1, StepsPerRound = 1 });
        var result = ActivationMaximizer.Run(session, layer, unit, Short);
        var again = ActivationMaximizer.Run(session, layer, unit, Short);
        var other = ActivationMaximizer.Run(session, layer, unit, Short with { Seed = 5 });

        result.FinalActivation.Should().BeGreaterThan(one.FinalActivation, "eighteen steps of ascent beat one");
        result.Image.Width.Should().Be(session.Input.Width);
        result.Image.Height.Should().Be(session.Input.Height);
        result.Image.Channels.Should().Be(session.Input.Channels);
        again.Image.Pixels.Should().Equal(result.Image.Pixels, "the same seed gives the same bytes");
        other.Image.Pixels.Should().NotEqual(result.Image.Pixels);
        Output(session, probe).Should().Equal(outputBefore, "the model is left as it was");
        session.Module.parameters().Where(p => p.grad is not null).Should().BeEmpty("no parameter gets a gradient");
    }

    static float[] Output(ModelSession session, RgbImage image)
    {
        using var input = ImageTensor.ToInput(image, session.Input);
        return session.ForwardBatch(input, [], pass => pass.Output.contiguous().cpu().data<float>().ToArray());
    }

    [Fact]
    public void The_round_sizes_grow_by_the_factor_to_the_input_size()
    {
        var sizes = ActivationMaximizer.RoundSizes(112, 90, 12, 1.2);
        sizes.Should().HaveCount(12);
        sizes[^1].Should().Equal(112, 90);
        sizes[0].Should().Equal((int)Math.Round(112 / Math.Pow(1.2, 11)), (int)Math.Round(90 / Math.Pow(1.2, 11)));
        sizes.Select(s => s[0]).Should().BeInAscendingOrder();
        ActivationMaximizer.RoundSizes(32, 32, 3, 1).Should().OnlyContain(s => s[0] == 32 && s[1] == 32);
    }

    [Fact]
    public void Bad_arguments_are_refused_naming_them_and_nothing_runs()
    {
        using var session = Load("zoo:vgg16_small");
        var info = session.Layers.First(l => l.Name == "features.15");
        Refused(() => ActivationMaximizer.Run(session, "features.15", info.Units), EngineErrorKind.UnitOutOfRange, $"Unit {info.Units}");
        Refused(() => ActivationMaximizer.Run(session, "features.15", -1), EngineErrorKind.UnitOutOfRange, "Unit -1");
        Refused(() => ActivationMaximizer.Run(session, "nope", 0), EngineErrorKind.UnknownLayer, "'nope'");
        string linear = session.Layers.Last(l => l.OutputShape.Count == 1).Name;
        Refused(() => ActivationMaximizer.Run(session, linear, 0, new MaximizationOptions { Objective = MaximizationObjective.Neuron }),
            EngineErrorKind.InvalidArgument, "neuron objective");
        Refused(() => ActivationMaximizer.Run(session, "features.15", 0, new MaximizationOptions { Rounds = 0 }), EngineErrorKind.InvalidArgument, "rounds");
        Refused(() => ActivationMaximizer.Run(session, "features.15", 0, new MaximizationOptions { StepsPerRound = 0 }), EngineErrorKind.InvalidArgument, "steps");
        Refused(() => ActivationMaximizer.Run(session, "features.15", 0, new MaximizationOptions { UpscaleFactor = 0.5 }), EngineErrorKind.InvalidArgument, "(upscale)");
        Refused(() => ActivationMaximizer.Run(session, "features.15", 0, new MaximizationOptions { LearningRate = double.NaN }), EngineErrorKind.InvalidArgument, "(lr)");
        Refused(() => ActivationMaximizer.Run(session, "features.15", 0, new MaximizationOptions { BlurSigma = -1 }), EngineErrorKind.InvalidArgument, "(blur)");
        Refused(() => ActivationMaximizer.Run(session, "features.15", 0, new MaximizationOptions { Jitter = 1000 }), EngineErrorKind.InvalidArgument, "(jitter)");
        // A linear layer's unit is its one value: the channel objective takes it.
        ActivationMaximizer.Run(session, linear, 0, Short with { Rounds = 1, StepsPerRound = 1 }).Image.Width.Should().Be(session.Input.Width);
    }

    static void Refused(Action act, EngineErrorKind kind, string named) =>
        act.Should().Throw<UnitScopeException>().Where(e => e.Kind == kind && e.Message.Contains(named, StringComparison.Ordinal));

    [Fact]
    public void Cancellation_stops_between_steps()
    {
        using var session = Load("zoo:vgg16_small");
        using var cts = new CancellationTokenSource();
        int steps = 0;
        var act = () => ActivationMaximizer.Run(session, "features.15", 0, new MaximizationOptions { Rounds = 5, StepsPerRound = 50 },
            new SyncProgress<MaximizationProgress>(_ => { if (++steps == 3) cts.Cancel(); }), cts.Token);
        act.Should().Throw<OperationCanceledException>();
        steps.Should().Be(3);
    }

    [Fact]
    public void The_blur_is_a_normalised_gaussian_with_reflected_borders()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var generator = new TorchSharp.torch.Generator(3);
        var x = TorchSharp.torch.randn([1, 2, 9, 7], generator: generator);
        double sigma = 0.8;
        var blurred = ActivationMaximizer.GaussianBlur(x, sigma).contiguous().data<float>().ToArray();
        var v = x.contiguous().data<float>().ToArray();
        int radius = (int)Math.Ceiling(3 * sigma);
        var w = Enumerable.Range(-radius, 2 * radius + 1).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double total = w.Sum();
        static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < 9; y++)
                for (int xx = 0; xx < 7; xx++)
                {
                    double sum = 0;
                    for (int dy = -radius; dy <= radius; dy++)
                        for (int dx = -radius; dx <= radius; dx++)
                            sum += w[dy + radius] * w[dx + radius] / (total * total) * v[(c * 9 + Reflect(y + dy, 9)) * 7 + Reflect(xx + dx, 7)];
                    blurred[(c * 9 + y) * 7 + xx].Should().BeApproximately((float)sum, 1e-5f);
                }
    }
}
