using TorchSharp;
using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Tests.Checkpoints;

/// <summary>Zip checkpoints with hand-written pickles: what PyTorch never writes but a damaged or hostile file may hold.</summary>
public class CraftedCheckpointTests
{
    static readonly byte[] FourFloats = new float[] { 1, 2, 3, 4 }.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>Reads a zip holding <paramref name="pickle"/> and one storage "0" of four floats.</summary>
    static StateDict Read(PickleBytes pickle, params (string, byte[])[] storages)
    {
        string path = PickleBytes.WriteZip(pickle.Stop(), storages.Length > 0 ? storages : [("0", FourFloats)]);
        try
        {
            return CheckpointReader.Read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    static void CheckFails(PickleBytes pickle, EngineErrorKind kind, string messagePart)
    {
        var act = () => Read(pickle);
        var error = act.Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(kind, error.Message);
        error.Message.Should().Contain(messagePart);
    }

    static PickleBytes DictWith(Func<PickleBytes, PickleBytes> value) => value(new PickleBytes().Op("}").Str("w")).Op("s");

    [Fact]
    public void A_stride_reaching_past_the_storage_is_corrupt() =>
        CheckFails(DictWith(p => p.Tensor("0", 4, 0, [3], [2])), EngineErrorKind.CorruptCheckpoint,
            "reaches element 4 of storage 0, which holds 4");

    [Fact]
    public void An_offset_past_the_storage_is_corrupt() =>
        CheckFails(DictWith(p => p.Tensor("0", 4, 4, [1], [1])), EngineErrorKind.CorruptCheckpoint, "reaches element 4");

    [Fact]
    public void A_storage_larger_than_its_entry_is_corrupt() =>
        CheckFails(DictWith(p => p.Tensor("0", 8, 0, [8], [1])), EngineErrorKind.CorruptCheckpoint,
            "storage 0 declares 32 bytes but the file holds 16");

    [Fact]
    public void A_missing_storage_entry_is_corrupt() =>
        CheckFails(DictWith(p => p.Tensor("7", 4, 0, [4], [1])), EngineErrorKind.CorruptCheckpoint, "storage 7 is missing");

    [Fact]
    public void One_storage_declared_with_two_dtypes_is_corrupt() =>
        CheckFails(new PickleBytes().Op("}(").Str("a").Tensor("0", 4, 0, [4], [1]).Str("b").Tensor("0", 2, 0, [2], [1], "LongStorage").Op("u"),
            EngineErrorKind.CorruptCheckpoint, "storage 0 is declared both as 4 × float32 and as 2 × int64");

    [Fact]
    public void A_single_tensor_is_not_a_state_dict() =>
        CheckFails(new PickleBytes().Tensor("0", 4, 0, [4], [1]), EngineErrorKind.CorruptCheckpoint, "a single tensor, not a state_dict");

    [Fact]
    public void A_dict_without_tensors_names_its_keys() =>
        CheckFails(new PickleBytes().Op("}").Str("epoch").Int(3).Op("s"), EngineErrorKind.CorruptCheckpoint, "no state_dict found");

    [Fact]
    public void A_module_persistent_id_is_refused() =>
        CheckFails(new PickleBytes().Op("(").Str("module").Op("NNN").Int(0).Op("tQ"), EngineErrorKind.UnsafeCheckpoint, "model.state_dict()");

    [Fact]
    public void A_dtype_outside_the_supported_list_is_named() =>
        CheckFails(DictWith(p => p.Tensor("0", 2, 0, [2], [1], "ComplexFloatStorage")), EngineErrorKind.CorruptCheckpoint,
            "torch.ComplexFloatStorage");

    [Fact]
    public void Cuda_storages_land_on_the_cpu()
    {
        var pickle = DictWith(p => p.Global("torch._utils", "_rebuild_tensor").Op("(")
            .Storage("0", 4, module: "torch.cuda", location: "cuda:0").Int(1).Ints(3).Ints(1).Op("tR"));
        using var state = Read(pickle);
        state["w"].device_type.Should().Be(DeviceType.CPU);
        state["w"].data<float>().ToArray().Should().Equal(2f, 3f, 4f);
    }

    [Fact]
    public void Parameters_with_state_give_their_data()
    {
        var pickle = DictWith(p => p.Global("torch._utils", "_rebuild_parameter_with_state").Op("(")
            .Tensor("0", 4, 0, [2, 2], [1, 2]).Op("\u0088").Global("collections", "OrderedDict").Op(")R}tR"));
        using var state = Read(pickle);
        state["w"].data<float>().ToArray().Should().Equal(1f, 3f, 2f, 4f);
    }

    [Fact]
    public void Entries_that_are_not_tensors_are_left_out_of_the_state_dict()
    {
        var pickle = new PickleBytes().Op("}(").Str("w").Tensor("0", 4, 0, [4], [1]).Str("_extra").Op("]").Str("note").Str("hi").Op("u");
        using var state = Read(pickle);
        state.Keys.Should().Equal("w");
        state.Metadata.Should().Equal(new Dictionary<string, string> { ["note"] = "hi" });
    }
}
