using System.Text.Json;
using TorchSharp;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Runtime;
using UnitScope.Engine.Tests.Models;
using UnitScope.Engine.Tests.Onnx;
using UnitScope.Engine.TorchSharpModels;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Runtime;

/// <summary>
/// Convolutions with 3, 6, 20, 50 and 100 input channels, kernels 1/3/5/7, strides 1/2, run through
/// <see cref="ModelSession"/> as a user's model runs (a zoo checkpoint, an ONNX graph, a TorchSharp .dat
/// with its C# class), compute what PyTorch 1.13 computed (tests/fixtures/odd_channels, checked there
/// against float64). On CPUs where libtorch 2.10's oneDNN gets these wrong (these machines) they fail
/// unless the session keeps oneDNN away from the model (<see cref="OneDnnConvolutions"/>).
/// </summary>
public class OddChannelConvolutionTests
{
    static readonly string Folder = Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "odd_channels");

    public static readonly TheoryData<string> ZooFixtures = new() { "smallcnn_odd", "resnet18_odd", "alexnet_odd" };

    [Theory]
    [MemberData(nameof(ZooFixtures))]
    public void A_zoo_checkpoint_computes_what_pytorch_computed(string fixture)
    {
        var description = JsonSerializer.Deserialize<ModelFixtures.Description>(
            File.ReadAllText(Path.Combine(Folder, fixture + ".json")), ModelFixtures.Json)!;
        using var session = ModelSession.Load(Path.Combine(Folder, fixture + ".pth"),
            new ModelOptions { Device = "cpu", InputHeight = description.InputSize[0], InputWidth = description.InputSize[1] });
        session.Architecture.Should().Be(description.Architecture);

        Agrees(session, fixture, description.Modules.Select(m => m.Name));
    }

    [Fact]
    public void An_onnx_graph_computes_what_pytorch_computed()
    {
        var description = JsonSerializer.Deserialize<OnnxFixtures.Description>(
            File.ReadAllText(Path.Combine(Folder, "oddnet.json")), ModelFixtures.Json)!;
        using var session = ModelSession.Load(Path.Combine(Folder, "oddnet.onnx"), new ModelOptions { Device = "cpu" });

        Agrees(session, "oddnet", description.Stored);
    }

    [Fact]
    public void A_torchsharp_dat_in_its_csharp_class_computes_what_pytorch_computed()
    {
        var definition = CSharpModelDefinition.Create(null, Path.Combine(ModelFixtures.RepoRoot, "tests", "fixtures", "torchsharp_models", "Models.cs"),
            "FixtureModels.OddNet");
        using var session = ModelSession.Load(Path.Combine(Folder, "oddnet.dat"),
            new ModelOptions { Device = "cpu", Definition = definition, InputHeight = 36, InputWidth = 36 });

        Agrees(session, "oddnet", Enumerable.Range(1, 7).Select(i => $"conv{i}"));
    }

    [Fact]
    public void A_model_whose_convolutions_onednn_gets_right_keeps_onednn()
    {
        // resnet18_small: 3, 8, 16, 32 and 64 input channels, all right with oneDNN (its block is 16; under 16 it takes plain layouts).
        using var session = ModelSession.Load(ModelFixtures.Checkpoint("resnet18_small"), new ModelOptions { Device = "cpu", InputHeight = 48 });
        session.AvoidsOneDnn.Should().BeFalse("oneDNN is several times faster where it is right");
        using var odd = ModelSession.Load(Path.Combine(Folder, "oddnet.onnx"), new ModelOptions { Device = "cpu" });
        odd.AvoidsOneDnn.Should().Be(OneDnnConvolutions.WrongOnThisMachine);
    }

    [Fact]
    public void A_model_loaded_while_another_analysis_holds_onednn_off_is_kept_away_from_it_too()
    {
        // The load's check compares the model with and without oneDNN; with oneDNN held off by someone else both
        // runs would be without it, agree, and let the model use oneDNN's wrong convolutions once it is released.
        ModelSession session;
        using (OneDnnConvolutions.Avoid())
            session = ModelSession.Load(Path.Combine(Folder, "oddnet.onnx"), new ModelOptions { Device = "cpu" });
        using (session)
        {
            session.AvoidsOneDnn.Should().Be(OneDnnConvolutions.WrongOnThisMachine);
            var description = JsonSerializer.Deserialize<OnnxFixtures.Description>(
                File.ReadAllText(Path.Combine(Folder, "oddnet.json")), ModelFixtures.Json)!;
            Agrees(session, "oddnet", description.Stored);
        }
    }

    [Fact]
    public void Onednn_is_back_on_once_the_last_holder_lets_go()
    {
        TorchRuntime.EnsureLoaded();
        LibTorchContext.Available.Should().BeTrue("libtorch_cpu.so exports the global context's switches");
        // Other tests' sessions may hold it at the same time; the count must return to where it was.
        bool before = LibTorchContext.OneDnnEnabled;
        using (OneDnnConvolutions.Avoid())
        {
            using (OneDnnConvolutions.Avoid())
                LibTorchContext.OneDnnEnabled.Should().BeFalse();
            LibTorchContext.OneDnnEnabled.Should().BeFalse("one holder is left");
        }
        if (before)
            LibTorchContext.OneDnnEnabled.Should().BeTrue();
    }

    /// <summary>The fixture's input through the session: the output and each layer's output as PyTorch's, to 1e-4 relative.</summary>
    static void Agrees(ModelSession session, string fixture, IEnumerable<string> layers)
    {
        using var scope = torch.NewDisposeScope();
        using var reference = CheckpointReader.Read(Path.Combine(Folder, fixture + ".reference.safetensors"));
        string[] names = [.. layers];
        session.ForwardBatch(reference["input"], names, pass =>
        {
            Check.Close(pass.Output, reference["output"], $"{fixture} output");
            foreach (string layer in names)
                Check.Close(pass.Activations[layer], reference["act/" + layer], $"{fixture} {layer}");
            return 0;
        });
    }
}
