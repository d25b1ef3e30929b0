using System.Text.Json;
using Google.Protobuf;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Tests.Models;
using P = global::Onnx;

namespace UnitScope.Engine.Tests.Onnx;

/// <summary>The files tests/fixtures/onnx/make_onnx_fixtures.py wrote with PyTorch 1.13's torch.onnx.export.</summary>
static class OnnxFixtures
{
    public static readonly string Folder = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "onnx");

    /// <summary>Models with references: ResNet-style (BN folded / kept), VGG-style, the custom CNN at five opsets, and the ops that take numbers.</summary>
    public static readonly TheoryData<string> Names = new()
    {
        "resnet18_small", "resnet18_small_bn", "vgg11_small",
        "custom_cnn_opset9", "custom_cnn_opset10", "custom_cnn_opset11", "custom_cnn_opset13", "custom_cnn_opset17",
        "activations_opset13",
    };

    public static string Model(string name) => Path.Combine(Folder, name + ".onnx");

    public static StateDict Reference(string name) => CheckpointReader.Read(Path.Combine(Folder, name + ".reference.safetensors"));

    public static Description Describe(string name) =>
        JsonSerializer.Deserialize<Description>(File.ReadAllText(Path.Combine(Folder, name + ".json")), ModelFixtures.Json)!;

    public sealed record Tap(string Path, string Kind, int[] OutputShape, string PytorchModule);
    public sealed record Description(int Opset, int[] InputShape, int[] OutputShape, Tap[] Taps, string[] Stored);

    public static P.ModelProto Proto(string name) => P.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Model(name)));

    /// <summary>A scratch folder for crafted files, removed on dispose.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("unitscope-onnx-").FullName;
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public string Write(string name, byte[] bytes)
        {
            System.IO.File.WriteAllBytes(File(name), bytes);
            return File(name);
        }
        public string Write(string name, P.ModelProto model) => Write(name, model.ToByteArray());
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
