using System.Diagnostics;
using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Tests.Hostile;

/// <summary>
/// A zip checkpoint of a few MB whose storage inflates to 3 GB was inflated in full before its shapes were
/// checked. Now what the tensors declare is checked first, against the file, the budget and the architecture,
/// and a storage is read only as far as its tensors reach.
/// </summary>
public class StorageBombTests : IDisposable
{
    const long ThreeGb = 3L << 30;
    const int ThreeGbOfFloats = (int)(ThreeGb / 4);
    private readonly string _folder = Directory.CreateTempSubdirectory("unitscope-bombs-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_bomb_is_small_on_disk()
    {
        var path = CheckpointBombs.Write(_folder, "bomb.pt", CheckpointBombs.StateDict(("w", [4], ThreeGbOfFloats, "0")),
            new CheckpointBombs.Storage("0", Zeros: ThreeGb));
        new FileInfo(path).Length.Should().BeLessThan(4 << 20, "3 GB of zeros deflate a thousandfold");
    }

    [Fact]
    public void A_storage_far_larger_than_its_tensor_is_read_only_as_far_as_the_tensor_reaches()
    {
        var path = CheckpointBombs.Write(_folder, "bomb.pt", CheckpointBombs.StateDict(("w", [2, 3], ThreeGbOfFloats, "0")),
            new CheckpointBombs.Storage("0", Zeros: ThreeGb));
        var watch = Stopwatch.StartNew();
        using var state = CheckpointReader.Read(path);
        watch.Stop();
        state["w"].shape.Should().Equal(2, 3);
        state["w"].data<float>().ToArray().Should().AllSatisfy(v => v.Should().Be(0f));
        // Inflating and holding 3 GB takes seconds and gigabytes; reading 24 bytes takes milliseconds.
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void A_tensor_that_needs_the_whole_bomb_is_refused_before_inflating()
    {
        var path = CheckpointBombs.Write(_folder, "bomb.pt", CheckpointBombs.StateDict(("w", [ThreeGbOfFloats], ThreeGbOfFloats, "0")),
            new CheckpointBombs.Storage("0", Zeros: ThreeGb));
        var watch = Stopwatch.StartNew();
        var error = FluentActions.Invoking(() => CheckpointReader.Read(path)).Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(EngineErrorKind.CorruptCheckpoint);
        error.Message.Should().Contain("decompression bomb").And.Contain("3 GB");
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public void A_bomb_that_does_not_fit_the_architecture_is_refused_before_its_weights_are_read()
    {
        // smallcnn's first weight, behind a 3 GB storage, and nothing else: the load must fail on the shapes at once.
        var path = CheckpointBombs.Write(_folder, "bomb.pth", CheckpointBombs.StateDict(("conv1.weight", [32, 3, 3, 3], ThreeGbOfFloats, "0")),
            new CheckpointBombs.Storage("0", Zeros: ThreeGb));
        var watch = Stopwatch.StartNew();
        var error = FluentActions.Invoking(() => ModelSession.Load(path, new ModelOptions { Architecture = "smallcnn" }))
            .Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(EngineErrorKind.ArchitectureMismatch, error.Message);
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Tensors_that_declare_more_than_half_the_memory_are_refused_unread()
    {
        // A stride-0 view of one element, as large as an int64 index allows: nothing to inflate, everything to allocate.
        var pickle = new Checkpoints.PickleBytes().Op("}").Str("w").Tensor("0", 1, 0, [1 << 20, 1 << 20], [0, 0]).Op("s").Stop();
        var path = CheckpointBombs.Write(_folder, "wide.pt", pickle, new CheckpointBombs.Storage("0", new byte[4]));
        var error = FluentActions.Invoking(() => CheckpointReader.Read(path)).Should().Throw<UnitScopeException>().Which;
        error.Message.Should().Contain("more than half of this machine's memory");
    }

    [Fact]
    public void Overlapping_safetensors_spans_cannot_multiply_a_file()
    {
        // Entries naming the same 1 MB, just past the budget in all: a 1 MB file that would make gigabytes of tensors.
        int entries = (int)(WeightBudget.MaxBytes >> 20) + 1;
        var header = "{" + string.Join(",", Enumerable.Range(0, entries).Select(i => $"\"t{i}\":{{\"dtype\":\"F32\",\"shape\":[262144],\"data_offsets\":[0,1048576]}}")) + "}";
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(header);
        var path = Path.Combine(_folder, "overlap.safetensors");
        using (var file = File.Create(path))
        {
            file.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
            file.Write(headerBytes);
            file.Write(new byte[1 << 20]);
        }
        var error = FluentActions.Invoking(() => CheckpointReader.Read(path)).Should().Throw<UnitScopeException>().Which;
        error.Message.Should().Contain("more than half of this machine's memory");
    }
}
