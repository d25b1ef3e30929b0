using System.Text.Json;
using UnitScope.Protocol;
using UnitScope.Server.Handlers;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Server.Tests;

/// <summary>
/// The model sources beyond a bare checkpoint: a TorchSharp model's C# definition on
/// <c>unitscope/loadModel</c>, and <c>unitscope/writeModelDescription</c> (NAME.unitscope.json,
/// written by the daemon's own writer and read back by its reader).
/// </summary>
public class ModelSourcesTests
{
    static async Task<InProcessDaemon> Started()
    {
        var d = new InProcessDaemon();
        await d.InitializeAsync();
        return d;
    }

    [Fact]
    public void Load_params_carry_the_csharp_definition_with_absolute_paths()
    {
        var options = LoadModelHandler.Options(new LoadModelParams("net.dat", AssemblyPath: "bin/Models.dll", TypeName: " Ns.Net "));
        options.Definition!.AssemblyPath.Should().Be(Path.GetFullPath("bin/Models.dll"));
        options.Definition.SourcePath.Should().BeNull();
        options.Definition.TypeName.Should().Be("Ns.Net");

        var source = LoadModelHandler.Options(new LoadModelParams("net.dat", SourcePath: "Net.cs")).Definition!;
        source.SourcePath.Should().Be(Path.GetFullPath("Net.cs"));
        source.TypeName.Should().BeNull("the one model class in the file is taken");

        LoadModelHandler.Options(new LoadModelParams("net.pth")).Definition.Should().BeNull();
    }

    [Theory]
    [InlineData("a.dll", "a.cs", null, "not both")]
    [InlineData(null, null, "Ns.Net", "typeName needs the assembly")]
    public async Task Inconsistent_definitions_are_invalid_params(string? assembly, string? source, string? type, string message)
    {
        await using var d = await Started();
        var error = await d.Client.CallExpectingErrorAsync(Methods.LoadModel,
            new LoadModelParams(d.Checkpoint("net.dat"), AssemblyPath: assembly, SourcePath: source, TypeName: type));
        error.Code.Should().Be(ErrorCodes.InvalidParams);
        error.Message.Should().Contain(message);
    }

    [Fact]
    public async Task The_same_weights_with_another_class_or_a_changed_description_are_another_model()
    {
        await using var d = await Started();
        string dat = d.Checkpoint("net.dat", "weights");
        string dll = d.Checkpoint("Models.dll", "code v1");
        var a = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(dat, AssemblyPath: dll, TypeName: "Ns.A"));
        var again = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(dat, AssemblyPath: dll, TypeName: "Ns.A"));
        var b = await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(dat, AssemblyPath: dll, TypeName: "Ns.B"));
        d.Engine.LoadCount.Should().Be(2, "the same class is the loaded model; another class is loaded anew");
        again.ModelId.Should().Be(a.ModelId);
        b.ModelId.Should().NotBe(a.ModelId);

        File.WriteAllText(dll, "code v2"); // rebuilt
        await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(dat, AssemblyPath: dll, TypeName: "Ns.A"));
        d.Engine.LoadCount.Should().Be(3, "a rebuilt assembly is new code");

        await d.Client.CallAsync<WriteModelDescriptionResult>(Methods.WriteModelDescription, new WriteModelDescriptionParams(dat, InputSize: [16, 16]));
        await d.Client.CallAsync<ModelInfo>(Methods.LoadModel, new LoadModelParams(dat, AssemblyPath: dll, TypeName: "Ns.A"));
        d.Engine.LoadCount.Should().Be(4, "a changed description file loads anew");
    }

    [Fact]
    public async Task Writes_a_new_description_beside_the_model_and_reads_it_back()
    {
        await using var d = await Started();
        string model = d.Checkpoint("best.pth");
        File.WriteAllText(Path.Combine(d.Directory, "best.classes.txt"), "cat\ndog\n");
        var result = await d.Client.CallAsync<WriteModelDescriptionResult>(Methods.WriteModelDescription,
            new WriteModelDescriptionParams(model, Architecture: "onnx", InputSize: [64, 48], Mean: [0.485f, 0.456f, 0.406f],
                Std: [0.229f, 0.224f, 0.225f], ClassNamesFile: Path.Combine(d.Directory, "best.classes.txt"), Resize: 73, CenterCrop: [64, 48]));

        result.Path.Should().Be(Path.Combine(d.Directory, "best.unitscope.json"));
        result.Created.Should().BeTrue();
        result.ClassNamesFile.Should().Be("best.classes.txt", "a file beside the model is written relative to it");
        result.ClassCount.Should().Be(2);
        var json = JsonDocument.Parse(File.ReadAllText(result.Path)).RootElement;
        json.GetProperty("architecture").GetString().Should().Be("onnx");
        json.GetProperty("inputSize").EnumerateArray().Select(v => v.GetInt32()).Should().Equal(64, 48);
        json.GetProperty("mean")[0].GetRawText().Should().Be("0.485", "floats are written as typed");
        json.GetProperty("classNamesFile").GetString().Should().Be("best.classes.txt");
        json.GetProperty("resize").GetInt32().Should().Be(73);
        json.GetProperty("centerCrop").EnumerateArray().Select(v => v.GetInt32()).Should().Equal(64, 48);
        result.Resize.Should().Be(73);
        result.CenterCrop.Should().Equal(64, 48);
    }

    [Fact]
    public async Task Updating_keeps_the_fields_not_given()
    {
        await using var d = await Started();
        string model = d.Checkpoint("m.pth");
        string path = Path.Combine(d.Directory, "m.unitscope.json");
        File.WriteAllText(path, """{ "architecture": "resnet18", "mean": [0.5], "std": [0.25], "resize": 40, "centerCrop": 36, "classNames": ["a", "b", "c"] }""");

        var result = await d.Client.CallAsync<WriteModelDescriptionResult>(Methods.WriteModelDescription,
            new WriteModelDescriptionParams(model, Architecture: "onnx", InputSize: [32, 32]));
        result.Created.Should().BeFalse();
        result.Architecture.Should().Be("onnx");
        result.Mean.Should().Equal(0.5f);
        result.Std.Should().Equal(0.25f);
        result.ClassCount.Should().Be(3);
        result.InputSize.Should().Equal(32, 32);
        result.Resize.Should().Be(40);
        result.CenterCrop.Should().Equal(36, 36);

        var crop = await d.Client.CallAsync<WriteModelDescriptionResult>(Methods.WriteModelDescription,
            new WriteModelDescriptionParams(model, CenterCrop: [30, 20]));
        (crop.Resize, crop.Architecture).Should().Be((40, "onnx"));
        crop.CenterCrop.Should().Equal(30, 20);
        File.ReadAllText(path).Should().Contain("\"resize\": 40");
    }

    [Fact]
    public async Task A_class_names_file_that_is_not_there_is_an_error_and_the_old_file_stays()
    {
        await using var d = await Started();
        string model = d.Checkpoint("m.pth");
        string path = Path.Combine(d.Directory, "m.unitscope.json");
        const string before = """{ "inputSize": [8, 8] }""";
        File.WriteAllText(path, before);

        var error = await d.Client.CallExpectingErrorAsync(Methods.WriteModelDescription,
            new WriteModelDescriptionParams(model, ClassNamesFile: "missing.txt"));
        error.Code.Should().Be(ErrorCodes.InvalidArgument);
        error.Message.Should().Contain("missing.txt");
        File.ReadAllText(path).Should().Be(before);

        var fresh = await d.Client.CallExpectingErrorAsync(Methods.WriteModelDescription,
            new WriteModelDescriptionParams(d.Checkpoint("n.pth"), ClassNamesFile: "missing.txt"));
        fresh.Code.Should().Be(ErrorCodes.InvalidArgument);
        File.Exists(Path.Combine(d.Directory, "n.unitscope.json")).Should().BeFalse("a new file that does not read back is removed");
    }

    [Fact]
    public async Task A_malformed_description_is_not_overwritten()
    {
        await using var d = await Started();
        string model = d.Checkpoint("m.pth");
        string path = Path.Combine(d.Directory, "m.unitscope.json");
        File.WriteAllText(path, """{ "inputsize": [8, 8] }""");
        var error = await d.Client.CallExpectingErrorAsync(Methods.WriteModelDescription, new WriteModelDescriptionParams(model, Architecture: "onnx"));
        error.Code.Should().Be(ErrorCodes.InvalidArgument);
        error.Message.Should().Contain("unknown field 'inputsize'").And.Contain("Fix or delete it");
        File.ReadAllText(path).Should().Contain("inputsize");
    }

    [Theory]
    [InlineData("""{ "modelPath": "" }""", "modelPath is empty")]
    [InlineData("""{ "modelPath": "m.pth", "architecture": "resnet19" }""", "neither \"onnx\" nor a zoo architecture")]
    [InlineData("""{ "modelPath": "m.pth", "inputSize": [0, 8] }""", "inputSize must be [height, width]")]
    [InlineData("""{ "modelPath": "m.pth", "std": [0.2, 0] }""", "std must be 1 to 4 finite numbers above 0")]
    [InlineData("""{ "modelPath": "m.pth", "mean": [0.5, 0.5], "std": [0.2] }""", "mean has 2 values and std 1")]
    [InlineData("""{ "modelPath": "m.pth", "classNames": ["a"], "classNamesFile": "c.txt" }""", "not both")]
    [InlineData("""{ "modelPath": "m.pth", "resize": 0 }""", "resize must be the shorter side in pixels, 1–16384")]
    [InlineData("""{ "modelPath": "m.pth", "centerCrop": [224] }""", "centerCrop must be [height, width]")]
    [InlineData("""{ "modelPath": "m.pth", "centerCrop": [224, 20000] }""", "centerCrop must be [height, width], each 1–16384")]
    public async Task Bad_fields_are_invalid_params_and_nothing_is_written(string json, string message)
    {
        await using var d = await Started();
        var request = JsonSerializer.Deserialize<JsonElement>(json.Replace("m.pth", d.Checkpoint("m.pth").Replace("\\", "\\\\")));
        var error = await d.Client.CallExpectingErrorAsync(Methods.WriteModelDescription, request);
        error.Code.Should().Be(ErrorCodes.InvalidParams, error.Message);
        error.Message.Should().Contain(message);
        File.Exists(Path.Combine(d.Directory, "m.unitscope.json")).Should().BeFalse();
    }
}
