using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TorchSharp;
using UnitScope.Engine.Runtime;

namespace UnitScope.Cli.Tests;

/// <summary>
/// A TorchSharp model from the command line: a .dat written by TorchSharp's own <c>Module.save</c>
/// with its C# class given by --source (tests/fixtures/torchsharp_models/Models.cs, compiled by the
/// CLI) or --assembly (the same file compiled to a .dll by the test), end to end through
/// layers/predict/unitmap/dissect; then every way of giving the definition wrongly.
/// </summary>
public sealed class CSharpModelCommandTests : IDisposable
{
    const string SequentialType = "FixtureModels.Factories.Sequential";
    static readonly string Source = Cli.Repo("tests/fixtures/torchsharp_models/Models.cs");
    static readonly string Image = Cli.Repo("samples/images/circle.png");
    static readonly float[] Logits = [0.5f, 1.5f, -1f];

    readonly string _root = Directory.CreateTempSubdirectory("unitscope-cli-csharp-").FullName;

    public CSharpModelCommandTests() => Dat = WriteSequentialDat(Path.Combine(_root, "sequential.dat"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    /// <summary>The weights of FixtureModels.Factories.Sequential(), written by TorchSharp's Module.save.</summary>
    string Dat { get; }

    /// <summary>
    /// Conv (3→4, 3×3) with varied weights, so its units differ; fc (4→3) with zero weights and bias
    /// <see cref="Logits"/>, so the logits prove that the .dat's weights were loaded.
    /// </summary>
    static string WriteSequentialDat(string path)
    {
        TorchRuntime.EnsureLoaded();
        using var model = torch.nn.Sequential(
            ("conv", torch.nn.Conv2d(3, 4, 3, padding: 1)),
            ("relu", torch.nn.ReLU()),
            ("pool", torch.nn.AdaptiveAvgPool2d(1)),
            ("flatten", torch.nn.Flatten()),
            ("fc", torch.nn.Linear(4, 3)));
        using (torch.no_grad())
        {
            var p = model.state_dict();
            p["conv.weight"].copy_((torch.arange(4 * 3 * 3 * 3, dtype: torch.float32).reshape(4, 3, 3, 3) % 7 - 3) / 10);
            p["conv.bias"].copy_(torch.tensor(new[] { 0f, 0.1f, -0.1f, 0.2f }));
            p["fc.weight"].zero_();
            p["fc.bias"].copy_(torch.tensor(Logits));
        }
        model.save(path);
        return path;
    }

    /// <summary>Models.cs compiled to a .dll file (what a user's build gives), against the framework and this TorchSharp.</summary>
    string CompileAssembly()
    {
        var references = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append(typeof(torch).Assembly.Location)
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .Select(p => { try { return MetadataReference.CreateFromFile(p); } catch (BadImageFormatException) { return null; } })
            .OfType<MetadataReference>();
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(File.ReadAllText(Source), path: Source),
            CSharpSyntaxTree.ParseText("global using System; global using System.Linq; global using System.Collections.Generic;"),
        };
        var compilation = CSharpCompilation.Create("FixtureModels", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        string dll = Path.Combine(_root, "bin", "FixtureModels.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(dll)!);
        using (var file = File.Create(dll))
        {
            var result = compilation.Emit(file);
            result.Success.Should().BeTrue(string.Join("\n", result.Diagnostics));
        }
        return dll;
    }

    string[] Model(params string[] definition) => [Dat, .. definition, "--input-size", "16", "--device", "cpu"];

    [Fact]
    public void Layers_and_predict_run_a_dat_with_its_csharp_source_file()
    {
        var layers = Cli.Run(["layers", .. Model("--source", Source, "--type", SequentialType), "--json"]);
        layers.Exit.Should().Be(0, layers.ToString());
        var json = layers.Json;
        json.GetProperty("architecture").GetString().Should().Be("FixtureModels.Factories.Sequential() (C#)");
        json.GetProperty("classCount").GetInt32().Should().Be(3);
        var names = json.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()).ToList();
        names.Should().Equal("conv", "relu", "pool", "flatten", "fc");
        json.GetProperty("layers")[0].GetProperty("outputShape").EnumerateArray().Select(d => d.GetInt32()).Should().Equal(4, 16, 16);

        var predict = Cli.Run(["predict", .. Model("--source", Source, "--type", SequentialType), "--image", Image, "--json"]);
        predict.Exit.Should().Be(0, predict.ToString());
        predict.Json.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).Should().Equal(Logits);
        predict.Json.GetProperty("top")[0].GetProperty("index").GetInt32().Should().Be(1);
    }

    [Fact]
    public void Unitmap_and_dissect_run_a_dat_with_its_compiled_assembly()
    {
        string dll = CompileAssembly();
        string map = Path.Combine(_root, "map.png");
        var unitmap = Cli.Run(["unitmap", .. Model("--assembly", dll, "--type", SequentialType), "--image", Image,
            "--layer", "conv", "--unit", "3", "--out", map, "--json"]);
        unitmap.Exit.Should().Be(0, unitmap.ToString());
        File.Exists(map).Should().BeTrue();

        var dissect = Cli.Run(["dissect", "--model", .. Model("--assembly", dll, "--type", SequentialType), "--layer", "conv",
            "--data", Cli.Repo("tests/fixtures/broden_mini"), "--out", Path.Combine(_root, "report"), "--cache", Path.Combine(_root, "cache"), "--json"]);
        dissect.Exit.Should().Be(0, dissect.ToString());
        var layer = dissect.Json.GetProperty("layers").EnumerateArray().Single();
        layer.GetProperty("layer").GetString().Should().Be("conv");
        layer.GetProperty("units").GetArrayLength().Should().Be(4);
        File.Exists(Path.Combine(_root, "report", "index.html")).Should().BeTrue();
    }

    [Fact]
    public void Help_says_what_a_model_can_be_and_every_model_command_takes_the_definition_options()
    {
        var root = Cli.Run(["--help"]);
        root.Exit.Should().Be(0, root.ToString());
        root.Out.Should().Contain("TorchSharp .dat").And.Contain("--assembly PATH.dll").And.Contain("--source PATH.cs").And.Contain(".onnx");
        foreach (string command in (string[])["layers", "predict", "unitmap", "dissect", "occlude", "ablate", "rank"])
        {
            var help = Cli.Run([command, "--help"]);
            help.Exit.Should().Be(0, help.ToString());
            help.Out.Should().Contain("--assembly <PATH.dll>", command).And.Contain("--source <PATH.cs>", command).And.Contain("--type <NAME>", command);
        }
    }

    static CliRun Fails(int exit, string[] args, params string[] messageParts)
    {
        var run = Cli.Run(args);
        run.Exit.Should().Be(exit, run.ToString());
        foreach (var part in messageParts)
            run.Err.Should().Contain(part, run.ToString());
        run.Err.Should().NotContain("   at ", "user errors show no stack trace");
        return run;
    }

    [Fact]
    public void A_dat_without_its_definition_says_how_to_give_it() =>
        Fails(2, ["layers", .. Model()], "sequential.dat", "--assembly PATH.dll", "--source PATH.cs", "--type");

    [Fact]
    public void Missing_source_file() =>
        Fails(2, ["layers", .. Model("--source", Path.Combine(_root, "NoSuch.cs"))], "--source", "NoSuch.cs", "not found");

    [Fact]
    public void Missing_assembly_file() =>
        Fails(2, ["predict", .. Model("--assembly", Path.Combine(_root, "NoSuch.dll")), "--image", Image], "--assembly", "NoSuch.dll", "not found");

    [Fact]
    public void Assembly_and_source_together_are_a_usage_error() =>
        Fails(1, ["layers", .. Model("--assembly", Path.Combine(_root, "x.dll"), "--source", Source)], "--assembly", "--source", "not both");

    [Fact]
    public void Type_without_code_is_a_usage_error() =>
        Fails(1, ["layers", .. Model("--type", SequentialType)], "--type", "--assembly", "--source");

    [Fact]
    public void Arch_with_a_csharp_definition_is_a_usage_error() =>
        Fails(1, ["layers", .. Model("--source", Source, "--arch", "resnet18")], "--arch", "--source");

    [Fact]
    public void Type_not_found_lists_the_model_classes() =>
        Fails(2, ["layers", .. Model("--source", Source, "--type", "FixtureModels.Nope")],
            "No type FixtureModels.Nope in Models.cs", "FixtureModels.TinyCnn");

    [Fact]
    public void Several_model_classes_and_no_type_asks_for_type() =>
        Fails(2, ["layers", .. Model("--source", Source)], "(--type)", "FixtureModels.TinyCnn");

    [Fact]
    public void Source_given_a_dll_and_assembly_given_a_cs_name_the_right_option()
    {
        string dll = Path.Combine(_root, "Model.dll");
        File.WriteAllBytes(dll, [1, 2, 3]);
        Fails(2, ["layers", .. Model("--source", dll)], "--source", "--assembly");
        Fails(2, ["layers", .. Model("--assembly", Source)], "--assembly", "--source");
    }

    [Fact]
    public void An_assembly_that_is_not_one_is_a_user_error()
    {
        string dll = Path.Combine(_root, "Model.dll");
        File.WriteAllText(dll, "not an assembly", Encoding.UTF8);
        Fails(2, ["layers", .. Model("--assembly", dll)], "Model.dll", "not a .NET assembly");
    }

    [Fact]
    public void A_source_file_that_does_not_compile_lists_its_errors()
    {
        string cs = Path.Combine(_root, "Broken.cs");
        File.WriteAllText(cs, "namespace Broken; public class Net : NoSuchBase { }");
        Fails(2, ["layers", .. Model("--source", cs)], "Broken.cs", "does not compile", "NoSuchBase");
    }
}
