using System.Diagnostics;
using UnitScope.Engine.Tests.Hostile;
using UnitScope.Faults.Tests.Support;
using UnitScope.Protocol;

namespace UnitScope.Faults.Tests;

/// <summary>Checkpoints of a few MB whose storages inflate to gigabytes.</summary>
public class StorageBombFaults(SharedStdioDaemon shared) : IClassFixture<SharedStdioDaemon>
{
    const long ThreeGb = 3L << 30;
    const int ThreeGbOfFloats = (int)(ThreeGb / 4);

    public static TheoryData<string> Bombs => new() { "shapes that do not fit", "a tensor that needs the whole storage", "a small tensor on a huge storage" };

    [Theory(Timeout = 180_000)]
    [MemberData(nameof(Bombs))]
    public async Task A_storage_bomb_is_refused_or_read_in_part_without_inflating(string bomb)
    {
        var (d, id) = await shared.GetAsync();
        var tensors = bomb switch
        {
            "shapes that do not fit" => CheckpointBombs.StateDict(("conv1.weight", [32, 3, 3, 3], ThreeGbOfFloats, "0")),
            "a tensor that needs the whole storage" => CheckpointBombs.StateDict(("conv1.weight", [ThreeGbOfFloats], ThreeGbOfFloats, "0")),
            _ => CheckpointBombs.StateDict(("w", [4], ThreeGbOfFloats, "0")),
        };
        var path = CheckpointBombs.Write(d.Workspace, "bomb.pth", tensors, new CheckpointBombs.Storage("0", Zeros: ThreeGb));
        new FileInfo(path).Length.Should().BeLessThan(4 << 20);
        d.ResetPeak();
        var before = d.MemoryMb().Now;
        var watch = Stopwatch.StartNew();
        var error = await d.Stdio!.CallExpectingErrorAsync(Methods.LoadModel, new LoadModelParams(path, Architecture: "smallcnn"), TimeSpan.FromSeconds(150));
        watch.Stop();
        error.Code.Should().BeOneOf(ErrorCodes.ArchitectureMismatch, ErrorCodes.CorruptCheckpoint);
        // Inflating took 33 s on an idle machine; a refusal from the header takes milliseconds (20 s: a loaded machine).
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), $"{bomb}: refused before inflating ({error})");
        var (now, peak) = d.MemoryMb();
        (peak - before).Should().BeLessThan(500, $"3 GB must not be inflated (RSS {before:0} → peak {peak:0} MB)");
        await d.SurvivedAsync(d.Stdio, id);
    }
}
