using System.Diagnostics;
using UnitScope.Faults.Tests.Support;

namespace UnitScope.Faults.Tests;

/// <summary>
/// kill -9 at any moment of a run that writes to the cache: no entry is ever left that reads back wrong, and the
/// run that finally completes leaves the cache byte for byte what an uninterrupted run leaves.
/// </summary>
public class KillFaults : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("unitscope-kill-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Kill points through a run of about 10 s (model load, the dissection passes, each layer's write).</summary>
    public static TheoryData<int> Seeds => new() { 18 };

    [Theory(Timeout = 300_000)]
    [MemberData(nameof(Seeds))]
    public async Task Killed_dissections_lose_no_data_and_the_rerun_is_byte_identical(int seed)
    {
        var clean = Path.Combine(_folder, "clean");
        var killed = Path.Combine(_folder, "killed");
        var (cleanExit, cleanTime) = await DissectAsync(clean, killAfter: null);
        cleanExit.Should().Be(0);
        var expected = Entries(clean);
        expected.Should().HaveCount(3, "one entry per layer");

        var random = new Random(seed);
        int lost = 0;
        for (int kill = 0; kill < 4; kill++)
        {
            var delay = TimeSpan.FromMilliseconds(random.Next(500, (int)cleanTime.TotalMilliseconds));
            await DissectAsync(killed, delay);
            // What is there after a kill is either absent or exactly right, never half written.
            foreach (var (name, bytes) in Entries(killed))
                if (!expected.TryGetValue(name, out var want) || !want.SequenceEqual(bytes)) lost++;
        }
        lost.Should().Be(0, "no cache entry may be damaged or wrong after kill -9");

        var (exit, _) = await DissectAsync(killed, killAfter: null);
        exit.Should().Be(0);
        var final = Entries(killed);
        final.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, bytes) in final) bytes.Should().Equal(expected[name], name);
    }

    /// <summary>unitscope dissect of the sample model on broden_mini, three layers, in its own cache; killed (SIGKILL) after <paramref name="killAfter"/>.</summary>
    private async Task<(int Exit, TimeSpan Took)> DissectAsync(string cache, TimeSpan? killAfter)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _folder };
        foreach (var a in new[] { Repo.Cli, "dissect", "--model", Repo.Path("samples", "smallcnn.pth"), "--layer", "conv1,conv2,conv3",
                     "--data", Repo.Path("tests", "fixtures", "broden_mini"), "--out", Path.Combine(_folder, "report-" + Path.GetFileName(cache)) })
            info.ArgumentList.Add(a);
        info.Environment["UNITSCOPE_CACHE"] = cache;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        if (killAfter is { } delay)
        {
            var exited = process.WaitForExitAsync();
            if (await Task.WhenAny(exited, Task.Delay(delay)) != exited)
                process.Kill(); // SIGKILL
        }
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        await drain;
        return (process.ExitCode, watch.Elapsed);
    }

    /// <summary>Every cache entry (dissections/&lt;checkpoint&gt;/&lt;key&gt;.json) and its bytes.</summary>
    private static Dictionary<string, byte[]> Entries(string cache)
    {
        var folder = Path.Combine(cache, "dissections");
        if (!Directory.Exists(folder)) return [];
        return Directory.GetFiles(folder, "*.json", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(cache, f), File.ReadAllBytes);
    }
}
