using TorchSharp;
using UnitScope.Engine.Layers;
using UnitScope.Engine.Onnx;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Onnx;

/// <summary>
/// ONNX If, as PyTorch 1.13 exports it: on a shape (<c>x.view(-1, 1).squeeze(1)</c>, a DCGAN discriminator's
/// ending: the condition is Shape(x)[1] == 1, known once the input's shape is) and on the data (a scripted
/// branch): each branch gives what PyTorch gave, batch sizes other than the export's included.
/// </summary>
public class OnnxIfTests
{
    [Theory]
    [InlineData("squeeze_if")]
    [InlineData("data_if")]
    public void If_nodes_give_pytorchs_outputs_for_each_input(string fixture)
    {
        using var scope = torch.NewDisposeScope();
        using var reference = OnnxFixtures.Reference(fixture);
        using var model = OnnxModel.Load(OnnxFixtures.Model(fixture));
        using var noGrad = torch.no_grad();
        foreach (string input in (string[])["a", "b", "a"]) // a again: the shape logic cached per input shape
        {
            var output = model.call(reference[input]);
            Check.Close(output, reference["output_" + input], $"output for {input}");
        }
    }

    [Fact]
    public void Module_outputs_before_a_shape_If_stay_addressable()
    {
        using var session = ModelSession.Load(OnnxFixtures.Model("squeeze_if"), new ModelOptions { Device = "cpu", InputHeight = 8, InputWidth = 8 });
        session.Layers.Select(l => l.Name).Should().Equal("main", "main.0", "main.1", "main.2");
        session.ClassCount.Should().Be(1, "one sigmoid score per image");
    }

    [Fact]
    public void An_If_whose_condition_is_constant_is_folded_at_load()
    {
        // squeeze_if with its condition replaced by a constant true: the then-branch (Squeeze) is all that runs.
        var proto = OnnxFixtures.Proto("squeeze_if");
        var equal = proto.Graph.Node.Single(n => n.OpType == "Equal");
        var constant = new global::Onnx.NodeProto { OpType = "Constant", Name = "/Always" };
        constant.Output.Add(equal.Output[0]);
        constant.Attribute.Add(new global::Onnx.AttributeProto
        {
            Name = "value", Type = global::Onnx.AttributeProto.Types.AttributeType.Tensor,
            T = new global::Onnx.TensorProto { DataType = (int)global::Onnx.TensorProto.Types.DataType.Bool, Int32Data = { 1 } },
        });
        proto.Graph.Node[proto.Graph.Node.IndexOf(equal)] = constant;
        string path = Path.Combine(Path.GetTempPath(), $"unitscope-if-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(proto));
        try
        {
            using var scope = torch.NewDisposeScope();
            using var reference = OnnxFixtures.Reference("squeeze_if");
            using var model = OnnxModel.Load(path);
            using var noGrad = torch.no_grad();
            Check.Close(model.call(reference["b"]), reference["output_b"], "output");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
