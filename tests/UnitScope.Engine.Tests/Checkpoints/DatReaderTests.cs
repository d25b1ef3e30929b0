using TorchSharp;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Imaging;
using UnitScope.Engine.Tests.Models;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Checkpoints;

/// <summary>
/// TorchSharp's .dat (what <c>Module.save</c> writes), written here by TorchSharp itself
/// (<c>Module.save</c> / <c>Module.save_state_dict</c>) and read back by the checkpoint reader.
/// </summary>
public sealed class DatReaderTests : IDisposable
{
    public DatReaderTests() => UnitScope.Engine.Runtime.TorchRuntime.EnsureLoaded();

    readonly string _dir = Directory.CreateTempSubdirectory("unitscope-dat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, Dictionary<string, Tensor> entries)
    {
        string path = Path.Combine(_dir, name);
        using (var stream = File.Create(path))
        using (var writer = new BinaryWriter(stream))
            nn.Module.save_state_dict(writer, entries);
        return path;
    }

    /// <summary>Reading the file fails with <paramref name="kind"/>; the message names the file and holds each part.</summary>
    static void CheckError(string path, EngineErrorKind kind, params string[] parts)
    {
        var error = FluentActions.Invoking(() => CheckpointReader.Read(path)).Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(kind, error.Message);
        error.Message.Should().Contain(path);
        foreach (string part in parts) error.Message.Should().Contain(part);
    }

    [Fact]
    public void Reads_every_supported_element_type_shape_and_value_in_file_order()
    {
        var entries = new Dictionary<string, Tensor>
        {
            ["conv.weight"] = torch.arange(24, dtype: ScalarType.Float32).reshape(2, 3, 2, 2) / 7,
            ["bn.num_batches_tracked"] = torch.tensor(12L),
            ["mask"] = torch.tensor(new[] { true, false, true }),
            ["double"] = torch.tensor(new[] { 1.5, -2.25 }),
            ["half"] = torch.tensor(new[] { 0.5f, 3f }).to(ScalarType.Float16),
            ["bf16"] = torch.tensor(new[] { 0.5f, -3f }).to(ScalarType.BFloat16),
            ["bytes"] = torch.tensor(new byte[] { 1, 255 }),
            ["ints"] = torch.tensor(new[] { -7, 9 }),
            ["ünïcode.weight"] = torch.ones(1),
            ["empty"] = torch.zeros(0, 4),
        };
        string path = Write("all.dat", entries);

        using var read = CheckpointReader.Read(path);
        read.Format.Should().Be("torchsharp-dat");
        read.Keys.Should().Equal(entries.Keys);
        foreach (var (key, expected) in entries)
        {
            read[key].dtype.Should().Be(expected.dtype, key);
            read[key].shape.Should().Equal(expected.shape, key);
            read[key].Equals(expected).Should().BeTrue(key);
        }
    }

    [Fact]
    public void Reads_what_Module_save_writes()
    {
        using var model = nn.Sequential(("conv", nn.Conv2d(3, 4, 3)), ("bn", nn.BatchNorm2d(4)), ("fc", nn.Linear(4, 2)));
        string path = Path.Combine(_dir, "module.dat");
        model.save(path);

        using var read = CheckpointReader.Read(path);
        var expected = model.state_dict();
        read.Keys.Should().Equal(expected.Keys);
        foreach (var (key, tensor) in expected)
            read[key].Equals(tensor).Should().BeTrue(key);
    }

    [Fact]
    public void A_TorchSharp_model_with_torchvision_names_loads_by_detection_and_runs_like_the_pytorch_checkpoint()
    {
        // resnet18_small.pth holds torchvision's names; written as TorchSharp's .dat, it is the state
        // of a TorchSharp ResNet-18 built like torchvision's.
        using var source = CheckpointReader.Read(ModelFixtures.Checkpoint("resnet18_small"));
        string path = Write("resnet18_small.dat", source.Entries.ToDictionary(e => e.Key, e => e.Value));

        var options = new ModelOptions { Device = "cpu" };
        using var fromDat = ModelSession.Load(path, options);
        using var fromPth = ModelSession.Load(ModelFixtures.Checkpoint("resnet18_small"), options);
        fromDat.Architecture.Should().Be("resnet18");
        fromDat.Layers.Select(l => l.Name).Should().Equal(fromPth.Layers.Select(l => l.Name));

        var image = new RgbImage(fromDat.Input.Width, fromDat.Input.Height, 3,
            [.. Enumerable.Range(0, fromDat.Input.Width * fromDat.Input.Height * 3).Select(i => (byte)(i * 37 % 251))]);
        // Same weights, same network: equal up to float rounding (libtorch may pick another kernel for a second
        // session of the same shapes; a CI run saw 3e-8 apart).
        fromDat.Predict(image).Logits.Should().Equal(fromPth.Predict(image).Logits, (a, b) => Math.Abs(a - b) <= 1e-5f);
    }

    [Fact]
    public void An_unknown_dat_says_to_give_its_csharp_class()
    {
        string path = Write("custom.dat", new() { ["encoder.proj.weight"] = torch.ones(4, 3, 3, 3), ["head.weight"] = torch.ones(2, 4) });
        var error = FluentActions.Invoking(() => ModelSession.Load(path, new ModelOptions { Device = "cpu" }))
            .Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(EngineErrorKind.UnknownArchitecture);
        error.Message.Should().Contain("C# class").And.Contain("type name");
    }

    [Fact]
    public void A_truncated_dat_is_corrupt_and_says_where()
    {
        string path = Write("cut.dat", new() { ["w"] = torch.ones(64), ["b"] = torch.ones(8) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        CheckError(path, EngineErrorKind.CorruptCheckpoint, "TorchSharp .dat", "'b' [8] needs 32 bytes", "truncated");

        File.WriteAllBytes(path, bytes[..5]);
        CheckError(path, EngineErrorKind.CorruptCheckpoint, "TorchSharp .dat");
    }

    [Fact]
    public void Bytes_after_the_last_entry_are_reported()
    {
        string path = Write("trailing.dat", new() { ["w"] = torch.ones(4) });
        File.AppendAllText(path, "extra");
        CheckError(path, EngineErrorKind.CorruptCheckpoint, "5 bytes follow the last of its 1 entries");
    }

    [Fact]
    public void An_element_type_UnitScope_does_not_read_is_named()
    {
        string path = Write("complex.dat", new() { ["w"] = torch.ones(2, dtype: ScalarType.ComplexFloat32) });
        CheckError(path, EngineErrorKind.CorruptCheckpoint, "'w' holds ComplexFloat32 elements", "float32");
    }

    [Fact]
    public void Garbage_named_dat_says_why_it_is_no_dat_and_other_names_are_not_recognised()
    {
        string dat = Path.Combine(_dir, "garbage.dat");
        File.WriteAllBytes(dat, [.. Enumerable.Range(0, 100).Select(i => (byte)(i * 91 % 256))]);
        CheckError(dat, EngineErrorKind.CorruptCheckpoint, "not a readable TorchSharp .dat file");

        string bin = Path.Combine(_dir, "garbage.bin");
        File.Copy(dat, bin);
        CheckError(bin, EngineErrorKind.CorruptCheckpoint, "not a recognised checkpoint", "TorchSharp .dat");
    }

    [Fact]
    public void The_other_formats_are_not_taken_for_dat()
    {
        foreach (string fixture in new[] { "tiny_zip.pt", "tiny_legacy.pt", "tiny.safetensors", "views_legacy.pt", "dtypes_legacy.pt" })
        {
            using var read = CheckpointReader.Read(CheckpointFixtures.Path(fixture));
            read.Format.Should().NotBe("torchsharp-dat", fixture);
        }
    }
}
