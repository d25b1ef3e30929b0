using UnitScope.Server.Rpc;

namespace UnitScope.Server.Tests;

/// <summary>The reader/writer queue: reads overlap, mutations run alone, arrival order is kept.</summary>
public class SchedulerTests
{
    private static Func<CancellationToken, Task<int>> Step(List<string> log, string name, Task gate) => async _ =>
    {
        lock (log) log.Add($"start {name}");
        await gate;
        lock (log) log.Add($"end {name}");
        return 0;
    };

    [Fact]
    public async Task Reads_run_concurrently()
    {
        var scheduler = new RequestScheduler();
        var gate = new TaskCompletionSource();
        var log = new List<string>();
        var a = scheduler.Enqueue(Execution.Reading, Step(log, "a", gate.Task), default);
        var b = scheduler.Enqueue(Execution.Reading, Step(log, "b", gate.Task), default);
        await WaitUntil(() => log.Count == 2);
        log.Should().BeEquivalentTo("start a", "start b");
        gate.SetResult();
        await Task.WhenAll(a, b);
    }

    [Fact]
    public async Task A_mutation_waits_for_earlier_reads_and_blocks_later_ones()
    {
        var scheduler = new RequestScheduler();
        var readGate = new TaskCompletionSource();
        var writeGate = new TaskCompletionSource();
        var log = new List<string>();
        var r1 = scheduler.Enqueue(Execution.Reading, Step(log, "r1", readGate.Task), default);
        var w = scheduler.Enqueue(Execution.Mutating, Step(log, "w", writeGate.Task), default);
        var r2 = scheduler.Enqueue(Execution.Reading, Step(log, "r2", Task.CompletedTask), default);
        await WaitUntil(() => log.Count == 1);
        await Task.Delay(50);
        log.Should().Equal("start r1");
        readGate.SetResult();
        await WaitUntil(() => log.Contains("start w"));
        await Task.Delay(50);
        log.Should().NotContain("start r2");
        writeGate.SetResult();
        await Task.WhenAll(r1, w, r2);
        log.Should().Equal("start r1", "end r1", "start w", "end w", "start r2", "end r2");
    }

    [Fact]
    public async Task A_cancelled_waiting_mutation_does_not_let_later_ones_overtake()
    {
        var scheduler = new RequestScheduler();
        var readGate = new TaskCompletionSource();
        var log = new List<string>();
        using var cts = new CancellationTokenSource();
        var r1 = scheduler.Enqueue(Execution.Reading, Step(log, "r1", readGate.Task), default);
        var w1 = scheduler.Enqueue(Execution.Mutating, Step(log, "w1", Task.CompletedTask), cts.Token);
        var w2 = scheduler.Enqueue(Execution.Mutating, Step(log, "w2", Task.CompletedTask), default);
        await cts.CancelAsync();
        await FluentActions.Awaiting(() => w1).Should().ThrowAsync<OperationCanceledException>();
        await Task.Delay(50);
        log.Should().Equal("start r1");
        readGate.SetResult();
        await Task.WhenAll(r1, w2);
        log.Should().Equal("start r1", "end r1", "start w2", "end w2");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        condition().Should().BeTrue();
    }
}
