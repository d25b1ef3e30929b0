using Google.Protobuf;
using UnitScope.Engine.Onnx;
using P = global::Onnx;

namespace UnitScope.Engine.Tests.Onnx;

/// <summary>
/// Bad ONNX files fail with a UnitScopeException that names the problem — never another exception,
/// a crash or a hang. Real exports where PyTorch can make the case; edited copies of them otherwise.
/// </summary>
public class OnnxErrorTests : IDisposable
{
    readonly OnnxFixtures.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The one helper that loads: the kind and the message's telling parts.</summary>
    static void Fails(string path, EngineErrorKind kind, params string[] mentions)
    {
        var load = () => { using var _ = OnnxModel.Load(path); };
        var error = load.Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(kind, error.Message);
        foreach (string m in mentions) error.Message.Should().Contain(m);
    }

    string Edited(Action<P.ModelProto> edit, string source = "custom_cnn_opset13")
    {
        var model = OnnxFixtures.Proto(source);
        edit(model);
        return _temp.Write("edited.onnx", model);
    }

    [Fact]
    public void Truncated_file_is_corrupt()
    {
        var bytes = File.ReadAllBytes(OnnxFixtures.Model("resnet18_small"));
        foreach (int length in (int[])[1, 10, 100, bytes.Length / 2, bytes.Length - 1])
            Fails(_temp.Write($"cut{length}.onnx", bytes[..length]), EngineErrorKind.CorruptCheckpoint, "damaged or truncated");
    }

    [Fact]
    public void File_cut_where_the_opset_import_begins_is_corrupt()
    {
        // The file ends with opset_import (42 02 10 0e): cut just before it, every field before is whole.
        var bytes = File.ReadAllBytes(OnnxFixtures.Model("resnet18_small"));
        bytes[^4..].Should().Equal(0x42, 0x02, 0x10, 0x0e);
        Fails(_temp.Write("no-opset.onnx", bytes[..^4]), EngineErrorKind.CorruptCheckpoint, "no ai.onnx opset", "truncated");
    }

    [Fact]
    public void Empty_file_is_corrupt() =>
        Fails(_temp.Write("empty.onnx", []), EngineErrorKind.CorruptCheckpoint, "empty");

    [Fact]
    public void Randomly_damaged_files_fail_cleanly_or_load()
    {
        var bytes = File.ReadAllBytes(OnnxFixtures.Model("custom_cnn_opset13"));
        var random = new Random(20240229);
        for (int round = 0; round < 60; round++)
        {
            var damaged = (byte[])bytes.Clone();
            for (int k = 0; k < 1 + round % 8; k++) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            string path = _temp.Write($"damaged{round}.onnx", damaged);
            try
            {
                using var model = OnnxModel.Load(path);
            }
            catch (UnitScopeException)
            {
            }
        }
    }

    [Fact]
    public void Graph_with_a_cycle_names_its_nodes() =>
        Fails(Edited(m =>
        {
            // /stem/Conv reads /act/Relu's output, which reads /stem/Conv's.
            var conv = m.Graph.Node.Single(n => n.Name == "/stem/Conv");
            conv.Input[0] = m.Graph.Node.Single(n => n.Name == "/act/Relu").Output[0];
        }), EngineErrorKind.CorruptCheckpoint, "cycle", "/stem/Conv", "/act/Relu");

    [Fact]
    public void Initializer_whose_shape_disagrees_with_its_data() =>
        Fails(Edited(m => m.Graph.Initializer.Single(t => t.Name == "stem.weight").Dims[0] = 9),
            EngineErrorKind.CorruptCheckpoint, "initializer 'stem.weight'", "[9, 3, 3, 3]");

    [Fact]
    public void Initializer_whose_shape_disagrees_with_its_use_names_the_node() =>
        // 3 input channels become 1 and 3 out of 9... : the weight now expects a 1-channel input
        Fails(Edited(m =>
        {
            var weight = m.Graph.Initializer.Single(t => t.Name == "stem.weight");
            weight.Dims[0] = 24;
            weight.Dims[1] = 1;
        }), EngineErrorKind.CorruptCheckpoint, "/stem/Conv", "input channels");

    [Fact]
    public void Typed_field_count_that_disagrees_with_the_shape() =>
        Fails(Edited(m =>
        {
            var bias = m.Graph.Initializer.Single(t => t.Name == "stem.bias");
            var values = bias.RawData.ToByteArray();
            bias.ClearRawData();
            for (int i = 0; i < values.Length / 4 - 1; i++) bias.FloatData.Add(BitConverter.ToSingle(values, i * 4));
        }), EngineErrorKind.CorruptCheckpoint, "stem.bias", "float_data");

    [Fact]
    public void Opset_below_the_range_is_refused_with_the_range() =>
        Fails(Path.Combine(OnnxFixtures.Folder, "opset8.onnx"), EngineErrorKind.UnknownArchitecture, "opset 8", "9–17");

    [Fact]
    public void Opset_above_the_range_is_refused_with_the_range() =>
        Fails(Edited(m => m.OpsetImport.Single(o => o.Domain == "").Version = 18), EngineErrorKind.UnknownArchitecture, "opset 18", "9–17");

    [Fact]
    public void Unsupported_operator_names_the_operator_and_the_node() =>
        Fails(Path.Combine(OnnxFixtures.Folder, "cumsum.onnx"), EngineErrorKind.UnknownArchitecture, "CumSum", "'/CumSum'");

    [Fact]
    public void Operator_from_another_domain_is_unsupported() =>
        Fails(Edited(m => m.Graph.Node.Single(n => n.Name == "/act/Relu").Domain = "com.microsoft"),
            EngineErrorKind.UnknownArchitecture, "com.microsoft::Relu", "'/act/Relu'");

    [Fact]
    public void Value_nothing_produces() =>
        Fails(Edited(m => m.Graph.Node.Single(n => n.Name == "/act/Relu").Input[0] = "nowhere"),
            EngineErrorKind.CorruptCheckpoint, "'/act/Relu'", "'nowhere'");

    [Fact]
    public void Value_written_twice() =>
        Fails(Edited(m => m.Graph.Node.Single(n => n.Name == "/act/Relu").Output[0] = m.Graph.Node.Single(n => n.Name == "/stem/Conv").Output[0]),
            EngineErrorKind.CorruptCheckpoint, "written by two nodes");

    [Fact]
    public void Two_image_inputs_are_refused() =>
        Fails(Edited(m => m.Graph.Input.Add(m.Graph.Input[0].Clone().Also(i => i.Name = "second"))),
            EngineErrorKind.UnknownArchitecture, "2 inputs");

    [Fact]
    public void Missing_external_data_file_is_named()
    {
        File.Copy(Path.Combine(OnnxFixtures.Folder, "custom_cnn_external.onnx"), _temp.File("alone.onnx"));
        Fails(_temp.File("alone.onnx"), EngineErrorKind.CorruptCheckpoint, "custom_cnn_external.onnx.data", "missing");
    }

    [Fact]
    public void External_data_outside_the_models_folder_is_refused()
    {
        var model = P.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, "custom_cnn_external.onnx")));
        foreach (var t in model.Graph.Initializer)
            foreach (var e in t.ExternalData.Where(e => e.Key == "location"))
                e.Value = "../outside.data";
        Fails(_temp.Write("escape.onnx", model), EngineErrorKind.CorruptCheckpoint, "outside the model's folder");
        foreach (var t in model.Graph.Initializer)
            foreach (var e in t.ExternalData.Where(e => e.Key == "location"))
                e.Value = "/etc/passwd";
        Fails(_temp.Write("absolute.onnx", model), EngineErrorKind.CorruptCheckpoint, "relative");
    }

    [Fact]
    public void Truncated_external_data_file_is_corrupt()
    {
        File.Copy(Path.Combine(OnnxFixtures.Folder, "custom_cnn_external.onnx"), _temp.File("m.onnx"));
        var data = File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, "custom_cnn_external.onnx.data"));
        File.WriteAllBytes(_temp.File("custom_cnn_external.onnx.data"), data[..(data.Length - 100)]);
        Fails(_temp.File("m.onnx"), EngineErrorKind.CorruptCheckpoint, "truncated");
    }

    [Fact]
    public void Missing_file_is_file_not_found() =>
        Fails(_temp.File("nothing-here.onnx"), EngineErrorKind.FileNotFound, "nothing-here.onnx");

    [Fact]
    public void Sniffing_tells_onnx_from_checkpoints()
    {
        OnnxFile.LooksLikeOnnx(File.ReadAllBytes(OnnxFixtures.Model("resnet18_small"))).Should().BeTrue();
        OnnxFile.LooksLikeOnnx(File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, "custom_cnn_external.onnx"))).Should().BeTrue();
        foreach (string checkpoint in Directory.GetFiles(Path.Combine(OnnxFixtures.Folder, "..", "checkpoints")))
            OnnxFile.LooksLikeOnnx(File.ReadAllBytes(checkpoint).AsSpan(0, Math.Min(64, (int)new FileInfo(checkpoint).Length)))
                .Should().BeFalse(checkpoint);
        OnnxFile.LooksLikeOnnx(File.ReadAllBytes(Path.Combine(OnnxFixtures.Folder, "..", "models", "resnet18_small.pth")).AsSpan(0, 64)).Should().BeFalse();
    }
}

static class ProtoExtensions
{
    public static T Also<T>(this T value, Action<T> edit)
    {
        edit(value);
        return value;
    }
}
