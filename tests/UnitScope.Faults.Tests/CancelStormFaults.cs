using System.Text.Json;
using UnitScope.Faults.Tests.Support;
using UnitScope.Protocol;
using UnitScope.Server.Tests.Support;

namespace UnitScope.Faults.Tests;

/// <summary>Many requests cancelled as they are sent, or while they run: every one is answered, once, and nothing breaks.</summary>
public class CancelStormFaults(SharedStdioDaemon shared) : IClassFixture<SharedStdioDaemon>
{
    [Fact(Timeout = 180_000)]
    public async Task Cancelled_and_uncancelled_requests_are_all_answered()
    {
        var (d, id) = await shared.GetAsync();
        var sent = new List<(long Id, bool Cancelled, Task<JsonElement> Response)>();
        for (int i = 0; i < 120; i++)
        {
            var (requestId, response) = i % 3 == 0
                ? await d.Stdio!.SendRequestAsync(Methods.UnitMap, new UnitMapParams(id, "conv2", i % 16, d.Image()))
                : await d.Stdio!.SendRequestAsync(Methods.Predict, new PredictParams(id, d.Image()));
            bool cancel = i % 2 == 0;
            if (cancel) await d.Stdio.NotifyAsync(Methods.CancelRequest, new { id = requestId });
            sent.Add((requestId, cancel, response));
        }
        // A cancel for something that never was, and one twice.
        await d.Stdio!.NotifyAsync(Methods.CancelRequest, new { id = 999_999 });
        await d.Stdio.NotifyAsync(Methods.CancelRequest, new { id = sent[0].Id });

        var responses = await Task.WhenAll(sent.Select(s => s.Response)).WaitAsync(TimeSpan.FromSeconds(120));
        for (int i = 0; i < sent.Count; i++)
        {
            var error = LspClient.ErrorOf(responses[i]);
            if (!sent[i].Cancelled) error.Should().BeNull($"request {i} was not cancelled");
            else if (error is not null) error.Code.Should().Be(ErrorCodes.RequestCancelled);
        }
        await d.SurvivedAsync(d.Stdio, id);
    }

    [Fact(Timeout = 180_000)]
    public async Task Occlusions_cancelled_mid_run_leave_nothing_behind()
    {
        var (d, id) = await shared.GetAsync();
        for (int i = 0; i < 8; i++)
        {
            var (requestId, response) = await d.Stdio!.SendRequestAsync(Methods.Occlude,
                new OccludeParams(id, 4, 1, ImagePath: d.Image(), BatchSize: 8));
            await Task.Delay(50 * i);
            await d.Stdio.NotifyAsync(Methods.CancelRequest, new { id = requestId });
            var error = LspClient.ErrorOf(await response.WaitAsync(TimeSpan.FromSeconds(60)));
            if (error is not null) error.Code.Should().Be(ErrorCodes.RequestCancelled);
        }
        // A full run afterwards gives the full result.
        var result = await d.Stdio!.CallAsync<OccludeResult>(Methods.Occlude, new OccludeParams(id, 8, 8, ImagePath: d.Image()), TimeSpan.FromSeconds(120));
        result.Should().NotBeNull();
        await d.SurvivedAsync(d.Stdio, id);
    }
}
