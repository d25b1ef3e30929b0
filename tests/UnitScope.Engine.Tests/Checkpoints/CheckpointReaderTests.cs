using TorchSharp;
using UnitScope.Engine.Checkpoints;
using static TorchSharp.torch;

namespace UnitScope.Engine.Tests.Checkpoints;

public class CheckpointReaderTests
{
    static readonly Dictionary<string, ScalarType> Dtypes = new()
    {
        ["float32"] = ScalarType.Float32, ["float64"] = ScalarType.Float64, ["float16"] = ScalarType.Float16,
        ["bfloat16"] = ScalarType.BFloat16, ["int64"] = ScalarType.Int64, ["int32"] = ScalarType.Int32,
        ["int16"] = ScalarType.Int16, ["int8"] = ScalarType.Int8, ["uint8"] = ScalarType.Byte, ["bool"] = ScalarType.Bool,
    };

    /// <summary>Reads <paramref name="fixture"/> and compares everything with what PyTorch wrote beside it.</summary>
    static void Check(string fixture, string? expectedFile = null)
    {
        var expected = CheckpointFixtures.Expected(expectedFile ?? fixture);
        using var state = CheckpointReader.Read(CheckpointFixtures.Path(fixture));

        state.Format.Should().Be(expected.Format);
        state.Keys.Should().Equal(expected.Keys);
        state.Metadata.Should().BeEquivalentTo(expected.Metadata);
        foreach (var (name, tensor) in state.Entries)
        {
            var want = expected.Tensors[name];
            tensor.shape.Should().Equal(want.Shape, name);
            tensor.dtype.Should().Be(Dtypes[want.Dtype], name);
            tensor.device_type.Should().Be(DeviceType.CPU);
            tensor.is_contiguous().Should().BeTrue(name);
            using var scope = torch.NewDisposeScope();
            if (want.Floats is { } floats)
                Values<double>(tensor, ScalarType.Float64).Should().Equal(floats, name);
            else
                Values<long>(tensor, ScalarType.Int64).Should().Equal(want.Integers!, name);
        }
    }

    static T[] Values<T>(Tensor tensor, ScalarType type) where T : unmanaged =>
        tensor.numel() == 0 ? [] : tensor.to_type(type).data<T>().ToArray(); // TorchSharp's accessor fails on empty tensors

    [Theory]
    [InlineData("tiny_zip.pt")]
    [InlineData("tiny_legacy.pt")]
    [InlineData("tiny_zip_protocol4.pt")]
    public void Small_state_dict_matches_pytorch_in_every_format(string fixture) => Check(fixture);

    [Theory]
    [InlineData("dtypes_zip.pt")]
    [InlineData("dtypes_legacy.pt")]
    public void Every_dtype_matches_pytorch(string fixture) => Check(fixture);

    [Theory]
    [InlineData("views_zip.pt")]
    [InlineData("views_legacy.pt")]
    public void Transposed_sliced_strided_expanded_and_shared_storage_tensors_match_pytorch(string fixture) => Check(fixture);

    [Theory]
    [InlineData("wrapped_state_dict.pt")]
    [InlineData("wrapped_model_state_dict_legacy.pt")]
    [InlineData("wrapped_model_numpy.pt")]
    [InlineData("wrapped_with_args.pt")]
    public void Training_checkpoints_give_their_state_dict_and_scalar_metadata(string fixture) => Check(fixture);

    [Fact]
    public void Dataparallel_prefix_is_stripped_when_every_key_has_it() => Check("dataparallel.pt");

    [Fact]
    public void Prefix_is_kept_when_only_some_keys_have_it() => Check("mixed_prefix.pt");

    [Fact]
    public void Safetensors_matches_pytorch_and_keeps_its_metadata() => Check("tiny.safetensors");

    [Fact]
    public void Format_is_sniffed_from_content_not_extension()
    {
        string copy = Path.Combine(Path.GetTempPath(), $"unitscope-{Guid.NewGuid():N}.safetensors");
        File.Copy(CheckpointFixtures.Path("tiny_legacy.pt"), copy);
        try
        {
            using var state = CheckpointReader.Read(copy);
            state.Format.Should().Be("pytorch-legacy");
            state.Count.Should().Be(9);
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public void Tensors_outlive_the_callers_dispose_scope()
    {
        StateDict state;
        using (torch.NewDisposeScope())
            state = CheckpointReader.Read(CheckpointFixtures.Path("tiny_zip.pt"));
        using (state)
            state["fc.bias"].sum().item<float>().Should().NotBe(float.NaN);
    }

    [Fact]
    public void Tensors_sharing_a_storage_come_out_independent()
    {
        using var state = CheckpointReader.Read(CheckpointFixtures.Path("views_zip.pt"));
        state["row0"].fill_(-1f);
        state["row1"].data<float>().ToArray().Should().Equal(6f, 7f, 8f, 9f, 10f, 11f);
    }

    [Theory]
    [InlineData("tiny_zip.pt")]
    [InlineData("tiny_legacy.pt")]
    [InlineData("tiny.safetensors")]
    public void Hash_is_the_sha256_of_the_file(string fixture) =>
        CheckpointReader.ComputeHash(CheckpointFixtures.Path(fixture)).Should().Be(CheckpointFixtures.Expected(fixture).Sha256);
}
