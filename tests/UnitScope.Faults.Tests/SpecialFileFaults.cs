using System.Diagnostics;
using UnitScope.Engine.Tests.Hostile;
using UnitScope.Faults.Tests.Support;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Faults.Tests;

/// <summary>Things that are not regular files, named where a file is expected.</summary>
public class SpecialFileFaults(SharedStdioDaemon shared) : IClassFixture<SharedStdioDaemon>
{
    public static TheoryData<string, string> Targets => new()
    {
        { "loadModel", "fifo" }, { "loadModel", "/dev/zero" }, { "loadModel", "/dev/urandom" }, { "loadModel", "folder" },
        { "predict", "fifo" }, { "predict", "/dev/zero" },
    };

    [Theory(Timeout = 120_000)]
    [MemberData(nameof(Targets))]
    public async Task A_special_file_is_refused_at_once_and_blocks_nothing(string method, string target)
    {
        var (d, id) = await shared.GetAsync();
        using var files = new SpecialFiles();
        var path = target switch { "fifo" => files.Fifo("x.pth"), "folder" => files.Folder, _ => target };
        var watch = Stopwatch.StartNew();
        var (requestId, response) = method == "loadModel"
            ? await d.Stdio!.SendRequestAsync(Methods.LoadModel, new LoadModelParams(path))
            : await d.Stdio!.SendRequestAsync(Methods.Predict, new PredictParams(id, path));
        // Whatever that request does, the others are answered meanwhile (a blocked FIFO would hold them for ever:
        // the limits here are only generous for a loaded machine).
        await d.Stdio.CallAsync<ListModelsResult>(Methods.ListModels, new ListModelsParams(), Daemon.Patience);
        var done = await Task.WhenAny(response, Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != response)
        {
            // Today's failure: it blocks. Cancelling must answer it.
            await d.Stdio.NotifyAsync(Methods.CancelRequest, new { id = requestId });
            files.Release();
        }
        done.Should().Be(response, $"{method} on {target} must be refused at once, not read ({watch.ElapsedMilliseconds} ms)");
        var error = LspClient.ErrorOf(await response);
        error.Should().NotBeNull();
        error!.Message.Should().MatchRegex("not a regular file|is a folder");
        await d.SurvivedAsync(d.Stdio, id);
    }
}
