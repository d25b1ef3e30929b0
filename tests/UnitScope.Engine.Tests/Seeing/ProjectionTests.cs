using System.Text.Json;
using TorchSharp;
using UnitScope.Engine.Analysis.Seeing;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Tests.Models;
using UnitScope.Engine.Tests.Onnx;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace UnitScope.Engine.Tests.Seeing;

/// <summary>
/// Projections against PyTorch autograd with patched ReLUs (tests/fixtures/seeing/make_projection_fixtures.py), and
/// the deconvnet's steps against their definitions.
/// </summary>
public class ProjectionTests
{
    static readonly string Folder = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "seeing");

    sealed record Case(string Model, string Layer, int Unit, int Size);

    /// <summary>Largest difference relative to the reference's largest magnitude.</summary>
    static double RelativeError(float[] actual, float[] expected)
    {
        actual.Should().HaveCount(expected.Length);
        double scale = expected.Max(v => Math.Abs(v)), worst = 0;
        scale.Should().BeGreaterThan(0, "a reference of zeros would prove nothing");
        for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        return worst / scale;
    }

    [Theory]
    [InlineData("smallcnn_conv3", ProjectionMethod.GuidedBackprop, "guided")]
    [InlineData("smallcnn_conv3", ProjectionMethod.Gradient, "gradient")]
    [InlineData("smallcnn_conv3", ProjectionMethod.Deconvnet, "deconvnet")]
    [InlineData("alexnet_features10", ProjectionMethod.Deconvnet, "deconvnet")]
    [InlineData("alexnet_features10", ProjectionMethod.GuidedBackprop, "guided")]
    [InlineData("resnet18_layer2_1", ProjectionMethod.GuidedBackprop, "guided")]
    [InlineData("resnet18_layer2_1", ProjectionMethod.Gradient, "gradient")]
    public void Projections_equal_pytorchs_to_1e4(string name, ProjectionMethod method, string reference)
    {
        var c = JsonSerializer.Deserialize<Case>(File.ReadAllText(Path.Combine(Folder, name + ".json")), ModelFixtures.Json)!;
        using var references = CheckpointReader.Read(Path.Combine(Folder, name + ".safetensors"));
        using var model = ModelSession.Load(ModelFixtures.Checkpoint(c.Model), new ModelOptions { Device = "cpu", InputHeight = c.Size, InputWidth = c.Size });
        var input = references["input"];
        float[] p = references["positions"].data<float>().ToArray();
        var positions = Enumerable.Range(0, p.Length / 2).Select(i => ((int)p[2 * i], (int)p[2 * i + 1])).ToList();

        float[] actual = Projector.ProjectBatch(model, c.Layer, c.Unit, positions, input, method);

        RelativeError(actual, references[reference].data<float>().ToArray()).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void A_single_conv_layer_projects_as_the_transposed_convolution_of_the_rectified_activation()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        // Odd sizes, a stride that drops a column going forward (the transposed convolution must put it back).
        var conv = nn.Conv2d(3, 5, (3, 4), stride: (2, 2), padding: (1, 1));
        var relu = nn.ReLU();
        using (no_grad())
        {
            conv.weight!.copy_(randn(conv.weight.shape, generator: generator));
            conv.bias!.copy_(randn(conv.bias.shape, generator: generator));
        }
        var input = randn([2, 3, 13, 11], generator: generator);
        var activations = relu.call(conv.call(input)).detach();
        (int Unit, int Y, int X)[] targets = [(1, 3, 2), (4, 6, 0)];

        var projected = Deconvnet.Project([conv, relu], input, targets);

        var seed = zeros_like(activations);
        foreach (var (n, t) in targets.Select((t, n) => (n, t)))
            seed[n, t.Unit, t.Y, t.X] = activations[n, t.Unit, t.Y, t.X];
        var expected = F.conv_transpose2d(F.relu(seed), conv.weight!, null, [2, 2], [1, 1], [0, 1], [1, 1]);
        projected.shape.Should().Equal(input.shape);
        expected.shape.Should().Equal(input.shape);
        RelativeError(projected.data<float>().ToArray(), expected.data<float>().ToArray()).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void Unpooling_puts_each_value_at_its_recorded_maximum_adding_where_windows_overlap()
    {
        using var scope = NewDisposeScope();
        // Overlapping 3/2 windows (AlexNet's), ties included: few distinct values.
        var input = randint(0, 4, [1, 2, 9, 10], generator: new Generator(5)).to(ScalarType.Float32);
        var (pooled, switches) = F.max_pool2d_with_indices(input, [3, 3], [2, 2], [0, 0], [1, 1], false);
        var values = randn(pooled.shape, generator: new Generator(6));

        var unpooled = Deconvnet.Unpool(values, switches, input.shape).data<float>().ToArray();

        // By hand: each window's first maximum in row-major order (libtorch's switch), its value added there.
        float[] x = input.data<float>().ToArray(), v = values.data<float>().ToArray();
        var expected = new float[x.Length];
        int h = 9, w = 10, ph = (int)pooled.shape[2], pw = (int)pooled.shape[3];
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < ph; i++)
                for (int j = 0; j < pw; j++)
                {
                    int best = -1;
                    for (int dy = 0; dy < 3; dy++)
                        for (int dx = 0; dx < 3; dx++)
                        {
                            int at = c * h * w + (2 * i + dy) * w + 2 * j + dx;
                            if (best < 0 || x[at] > x[best]) best = at;
                        }
                    expected[best] += v[c * ph * pw + i * pw + j];
                }
        unpooled.Should().Equal(expected);
    }

    [Theory]
    [InlineData("vgg16_small", "features.28", ProjectionMethod.Deconvnet)]
    [InlineData("alexnet_small", "features.12", ProjectionMethod.Deconvnet)]
    [InlineData("smallcnn_cifar", "relu", ProjectionMethod.Deconvnet)]
    [InlineData("resnet18_small", "maxpool", ProjectionMethod.Deconvnet)]
    [InlineData("resnet18_small", "layer1.0.conv2", ProjectionMethod.Deconvnet)]
    [InlineData("resnet18_small", "layer1.0", ProjectionMethod.GuidedBackprop)]
    [InlineData("resnet18_small", "layer3.1.conv1", ProjectionMethod.GuidedBackprop)]
    public void The_deconvnet_is_chosen_for_chains_and_guided_backpropagation_otherwise(string model, string layer, ProjectionMethod expected)
    {
        using var session = ModelSession.Load(ModelFixtures.Checkpoint(model), new ModelOptions { Device = "cpu" });
        var choice = Projector.Choose(session, layer);
        choice.Method.Should().Be(expected);
        if (expected == ProjectionMethod.GuidedBackprop)
            choice.Reason.Should().Contain("not the output of a module");
    }

    [Fact]
    public void An_onnx_graph_gets_guided_backpropagation_and_the_deconvnet_is_refused_saying_why()
    {
        using var session = ModelSession.Load(OnnxFixtures.Model("vgg11_small"), new ModelOptions { Device = "cpu" });
        var choice = Projector.Choose(session, "features.3");
        choice.Method.Should().Be(ProjectionMethod.GuidedBackprop);
        choice.Reason.Should().Contain("ONNX");
        var deconv = () => Projector.Choose(session, "features.3", ProjectionMethod.Deconvnet);
        deconv.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument).WithMessage("*--method deconvnet*ONNX*");
    }

    [Fact]
    public void A_unit_out_of_range_and_a_layer_that_is_not_spatial_are_refused_naming_them()
    {
        using var session = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { Device = "cpu" });
        var images = new TopActivationTests.SyntheticImagesForTests(2);
        var outOfRange = () => Projector.Project(session, images, "conv2", 999, []);
        outOfRange.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.UnitOutOfRange).WithMessage("*999*'conv2'*");
        var notSpatial = () => Projector.Project(session, images, "fc", 0, []);
        notSpatial.Should().Throw<UnitScopeException>().Where(e => e.Kind == EngineErrorKind.InvalidArgument).WithMessage("*'fc'*not spatial*");
    }

    [Fact]
    public void Every_method_projects_after_top_k_passes_hooked_the_same_layer_of_a_vgg()
    {
        // Found by bench/gallery: after other passes had hooked and unhooked the layer, the gradient pass's early stop
        // ran before the capture's hook and guided backpropagation failed with "was not called".
        using var session = ModelSession.Load(ModelFixtures.Checkpoint("vgg16_small"), new ModelOptions { Device = "cpu", InputHeight = 48, InputWidth = 48 });
        var images = new TopActivationTests.SyntheticImagesForTests(5);
        for (int pass = 0; pass < 3; pass++)
            TopActivations.Collect(session, images, ["features.28"], new TopActivationOptions { K = 2, BatchSize = 2 });
        var top = TopActivations.Collect(session, images, ["features.28"], new TopActivationOptions { K = 2 }).Single();
        int unit = Enumerable.Range(0, top.Units.Count).MaxBy(u => top.Units[u][0].Value);
        foreach (var method in new[] { ProjectionMethod.Deconvnet, ProjectionMethod.GuidedBackprop, ProjectionMethod.Gradient })
        {
            var result = Projector.Project(session, images, "features.28", unit, top.Units[unit], method);
            result.Items.Should().HaveCount(2);
            result.Items.Should().OnlyContain(i => i.Values.Any(v => v != 0), method.ToString());
        }
    }

    [Fact]
    public void Projections_are_cut_to_each_activations_receptive_field()
    {
        using var session = ModelSession.Load(ModelFixtures.Checkpoint("smallcnn_cifar"), new ModelOptions { Device = "cpu", InputHeight = 32, InputWidth = 32 });
        var images = new TopActivationTests.SyntheticImagesForTests(4);
        var top = TopActivations.Collect(session, images, ["conv2"], new TopActivationOptions { K = 3 }).Single();
        var result = Projector.Project(session, images, "conv2", 2, top.Units[2]);

        result.Method.Should().Be(ProjectionMethod.Deconvnet);
        result.Items.Should().HaveCount(3);
        foreach (var item in result.Items)
        {
            var box = result.Field!.BoxOf(item.Activation.Y, item.Activation.X).ClipTo(32, 32);
            item.Box.Should().Be(box);
            item.Values.Should().HaveCount(3 * box.Height * box.Width);
            item.Values.Should().Contain(v => v != 0);
        }
    }
}
