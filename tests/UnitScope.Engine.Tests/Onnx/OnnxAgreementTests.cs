using TorchSharp;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Onnx;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Onnx;

/// <summary>
/// Models exported by PyTorch 1.13, run by the interpreter, compute what PyTorch computed: the
/// output and every module path the graph addresses, on the same input ("relative": max |ours −
/// PyTorch| / max |PyTorch|). Where the exporter folded a BatchNorm into the Conv before it, the
/// Conv's path carries the BatchNorm's output (the fixture's JSON says which module's output).
/// </summary>
public class OnnxAgreementTests
{
    const double RelativeTolerance = 1e-4;

    [Theory]
    [MemberData(nameof(OnnxFixtures.Names), MemberType = typeof(OnnxFixtures))]
    public void Output_and_module_outputs_match_pytorch(string fixture)
    {
        var description = OnnxFixtures.Describe(fixture);
        using var scope = torch.NewDisposeScope();
        using var reference = OnnxFixtures.Reference(fixture);
        using var model = OnnxModel.Load(OnnxFixtures.Model(fixture));
        model.Opset.Should().Be(description.Opset);

        using var noGrad = torch.no_grad();
        using var capture = new ActivationCapture(model, description.Stored);
        var output = model.call(reference["input"]);

        Check.Close(output, reference["output"], "output");
        foreach (string path in description.Stored)
            Check.Close(capture[path], reference["act/" + path], path);
    }

    [Theory]
    [MemberData(nameof(OnnxFixtures.Names), MemberType = typeof(OnnxFixtures))]
    public void Layer_catalog_lists_the_module_paths_in_first_call_order(string fixture)
    {
        var description = OnnxFixtures.Describe(fixture);
        using var session = ModelSession.Load(OnnxFixtures.Model(fixture), new ModelOptions { Device = "cpu" });

        session.Layers.Select(l => (l.Name, l.Kind, string.Join("x", l.OutputShape)))
            .Should().Equal(description.Taps.Select(t => (t.Path, t.Kind, string.Join("x", t.OutputShape))));
        session.ClassCount.Should().Be(description.OutputShape.Aggregate(1, (a, b) => a * b));
    }

    [Fact]
    public void External_data_and_typed_fields_give_the_same_model()
    {
        using var scope = torch.NewDisposeScope();
        using var reference = OnnxFixtures.Reference("custom_cnn_opset13");
        using var model = OnnxModel.Load(Path.Combine(OnnxFixtures.Folder, "custom_cnn_external.onnx"));
        using var noGrad = torch.no_grad();
        Check.Close(model.call(reference["input"]), reference["output"], "output");
    }

    [Fact]
    public void Graph_without_module_names_gets_one_tap_per_computing_node()
    {
        using var temp = new OnnxFixtures.TempFolder();
        var proto = OnnxFixtures.Proto("custom_cnn_opset13");
        foreach (var node in proto.Graph.Node) node.Name = "";
        string path = temp.Write("anonymous.onnx", proto);
        using var session = ModelSession.Load(path, new ModelOptions { Device = "cpu" });

        var names = session.Layers.Select(l => l.Name).ToList();
        names.Should().OnlyHaveUniqueItems().And.Contain("_stem_Conv_output_0").And.NotContain(n => n.Contains('.'));
        session.GetLayer("_stem_Conv_output_0").Kind.Should().Be("Conv");
        names.Should().NotContain(n => n.Contains("Shape") || n.Contains("Constant"), "shape arithmetic and constants are no activations");
    }

    [Fact]
    public void Batch_size_may_change_between_calls()
    {
        using var scope = torch.NewDisposeScope();
        using var reference = OnnxFixtures.Reference("custom_cnn_opset13");
        using var model = OnnxModel.Load(OnnxFixtures.Model("custom_cnn_opset13"));
        using var noGrad = torch.no_grad();
        var input = reference["input"];
        var expected = reference["output"];
        for (int round = 0; round < 2; round++)
        {
            Check.Close(model.call(input[..1]), expected[..1], $"first image, round {round}");
            Check.Close(model.call(input), expected, $"both images, round {round}");
            Check.Close(model.call(torch.cat([input, input, input])), torch.cat([expected, expected, expected]), $"six images, round {round}");
        }
    }
}

static class Check
{
    public static void Close(Tensor actual, Tensor expected, string what, double tolerance = 1e-4)
    {
        actual.shape.Should().Equal(expected.shape, $"shape of {what}");
        double scale = Math.Max(expected.abs().max().item<float>(), 1e-6);
        double error = (actual.to(float32) - expected).abs().max().item<float>();
        (error / scale).Should().BeLessThanOrEqualTo(tolerance, $"{what}: max error {error} against max |value| {scale}");
    }
}
