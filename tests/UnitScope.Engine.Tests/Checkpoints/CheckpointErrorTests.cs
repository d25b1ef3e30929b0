using UnitScope.Engine.Checkpoints;

namespace UnitScope.Engine.Tests.Checkpoints;

public class CheckpointErrorTests
{
    /// <summary>Reading <paramref name="fixture"/> fails with <paramref name="kind"/> and a message naming the file and the problem.</summary>
    static void Check(string fixture, EngineErrorKind kind, params string[] messageParts)
    {
        string path = CheckpointFixtures.Path(fixture);
        var act = () => CheckpointReader.Read(path);
        var error = act.Should().Throw<UnitScopeException>().Which;
        error.Kind.Should().Be(kind, error.Message);
        error.Message.Should().Contain(path);
        foreach (string part in messageParts)
            error.Message.Should().Contain(part);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        Check("no_such_checkpoint.pt", EngineErrorKind.FileNotFound, "not found");
        var hash = () => CheckpointReader.ComputeHash(CheckpointFixtures.Path("no_such_checkpoint.pt"));
        hash.Should().Throw<UnitScopeException>().Which.Kind.Should().Be(EngineErrorKind.FileNotFound);
    }

    [Theory]
    [InlineData("truncated_zip.pt", "truncated", "central directory not found")]
    [InlineData("no_data_pkl.pt", "without data.pkl")]
    [InlineData("short_storage_zip.pt", "storage 0 declares 432 bytes but the file holds 216")]
    [InlineData("short_storage_legacy.pt", "declares", "but the file holds")]
    [InlineData("big_endian.pt", "big-endian")]
    [InlineData("garbage.bin", "not a recognised checkpoint")]
    [InlineData("empty.pt", "the file is empty")]
    [InlineData("bad_header.safetensors", "header length 1099511627776 exceeds the file size")]
    [InlineData("out_of_bounds.safetensors", "'w' spans bytes 0..64 but the data section holds 32")]
    public void Damaged_files_are_corrupt_with_the_reason(string fixture, params string[] messageParts) =>
        Check(fixture, EngineErrorKind.CorruptCheckpoint, messageParts);

    [Theory]
    [InlineData("malicious_os_system.pt", "os.system", "only tensor-rebuild globals are allowed")]
    [InlineData("malicious_os_system_legacy.pt", "os.system")]
    [InlineData("malicious_stack_global.pt", "posix.system")]
    [InlineData("whole_module.pt", "__main__.TinyNet", "model.state_dict()")]
    [InlineData("whole_module_legacy.pt", "__main__.TinyNet", "model.state_dict()")]
    [InlineData("whole_sequential.pt", "torch.nn.modules.container.Sequential", "model.state_dict()")]
    [InlineData("torchscript.pt", "__torch__", "TorchScript")]
    public void Pickles_naming_other_globals_are_refused(string fixture, params string[] messageParts) =>
        Check(fixture, EngineErrorKind.UnsafeCheckpoint, messageParts);

    [Fact]
    public void Malicious_pickle_never_runs()
    {
        File.Delete(CheckpointFixtures.ExecutionMarker);
        foreach (string fixture in new[] { "malicious_os_system.pt", "malicious_os_system_legacy.pt", "malicious_stack_global.pt" })
        {
            var act = () => CheckpointReader.Read(CheckpointFixtures.Path(fixture));
            act.Should().Throw<UnitScopeException>();
        }
        File.Exists(CheckpointFixtures.ExecutionMarker).Should().BeFalse();
    }

    [Fact]
    public void Safetensors_naming_a_tensor_twice_is_corrupt()
    {
        byte[] header = System.Text.Encoding.UTF8.GetBytes(
            "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}");
        string path = Path.Combine(Path.GetTempPath(), $"unitscope-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, 7]);
        try
        {
            var act = () => CheckpointReader.Read(path);
            var error = act.Should().Throw<UnitScopeException>().Which;
            error.Kind.Should().Be(EngineErrorKind.CorruptCheckpoint);
            error.Message.Should().Contain(path).And.Contain("names 'w' twice");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
