using System.Text.Json;
using System.Text;
using UnitScope.Engine.Checkpoints.Pickle;
using UnitScope.Engine.Checkpoints;
using UnitScope.Engine.Tests.Models;

namespace UnitScope.Engine.Tests.Checkpoints;

/// <summary>
/// The daemon's checkpoint allow-list is extension/python/checkpoint_globals.json, the file the exporter reads too
/// (its side is checked in importModel.python.test.ts): every listed global is implemented here, and nothing else
/// is accepted — builtins.set, frozenset and complex, which the exporter once accepted alone, are refused.
/// </summary>
public class CheckpointGlobalsTests
{
    static readonly string SharedFile = Path.Combine(ModelFixtures.RepoRoot, "extension", "python", "checkpoint_globals.json");

    [Fact]
    public void The_embedded_list_is_the_exporters_file()
    {
        using var file = File.OpenRead(SharedFile);
        var onDisk = JsonSerializer.Deserialize<CheckpointGlobals>(file, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        AllowedGlobals.Listed.Globals.Should().Equal(onDisk.Globals);
        AllowedGlobals.Listed.StorageModules.Should().Equal(onDisk.StorageModules);
        AllowedGlobals.Listed.StorageTypes.Should().Equal(onDisk.StorageTypes);
    }

    [Fact]
    public void Every_listed_global_is_implemented_and_only_those()
    {
        AllowedGlobals.Listed.Globals.Should().BeEquivalentTo(AllowedGlobals.Implemented);
        AllowedGlobals.Listed.StorageTypes.Should().BeEquivalentTo(TorchDtype.All.Select(d => d.StorageName));
    }

    [Theory]
    [InlineData("builtins", "set")]
    [InlineData("builtins", "frozenset")]
    [InlineData("builtins", "complex")]
    [InlineData("torch", "float32")]
    public void Globals_the_list_does_not_name_are_refused(string module, string name)
    {
        using var stream = new MemoryStream(Encoding.Latin1.GetBytes($"c{module}\n{name}\n."));
        var read = () => Unpickler.Load(stream);
        read.Should().Throw<CheckpointProblem>().Where(p => p.Kind == EngineErrorKind.UnsafeCheckpoint
            && p.Message.Contains($"the pickle calls {module}.{name}"));
    }

    [Fact]
    public void Each_listed_global_resolves()
    {
        foreach (string full in AllowedGlobals.Listed.Globals)
        {
            int dot = full.LastIndexOf('.');
            AllowedGlobals.Resolve(full[..dot], full[(dot + 1)..]).Should().BeOfType<PyGlobal>(full);
        }
    }
}
