using UnitScope.Server.Rpc;

namespace UnitScope.Server.Tests;

/// <summary>The per-device gate: first come first served, cancellable waits, and long work that hands the device over between steps.</summary>
public class DeviceGateTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Work_runs_one_at_a_time_in_arrival_order()
    {
        var gates = new DeviceGates();
        var hold = new ManualResetEventSlim();
        var order = new List<int>();
        // On the pool, as the scheduler runs handlers: an uncontended gate runs the work inline.
        var first = Task.Run(() => gates.RunAsync("cpu", () => { hold.Wait(Quick); lock (order) order.Add(0); return 0; }, default));
        await Task.Delay(50);
        var rest = Enumerable.Range(1, 5).Select(i =>
        {
            var t = gates.RunAsync("cpu", () => { lock (order) order.Add(i); return i; }, default);
            return t;
        }).ToList();
        await WaitUntil(() => gates.Waiting("cpu") == 5);
        hold.Set();
        await Task.WhenAll(rest.Append(first)).WaitAsync(Quick);
        order.Should().Equal(0, 1, 2, 3, 4, 5);
    }

    [Fact]
    public async Task Devices_do_not_wait_for_each_other()
    {
        var gates = new DeviceGates();
        var hold = new ManualResetEventSlim();
        var cpu = Task.Run(() => gates.RunAsync("cpu", () => hold.Wait(Quick), default));
        await Task.Delay(50);
        (await gates.RunAsync("cuda:0", () => 7, default).WaitAsync(Quick)).Should().Be(7);
        hold.Set();
        await cpu.WaitAsync(Quick);
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_the_queue_and_the_gate_usable()
    {
        var gates = new DeviceGates();
        var hold = new ManualResetEventSlim();
        var first = Task.Run(() => gates.RunAsync("cpu", () => hold.Wait(Quick), default));
        await Task.Delay(50);
        using var cts = new CancellationTokenSource();
        var ran = false;
        var cancelled = gates.RunAsync("cpu", () => ran = true, cts.Token);
        await WaitUntil(() => gates.Waiting("cpu") == 1);
        await cts.CancelAsync();
        await FluentActions.Awaiting(() => cancelled).Should().ThrowAsync<OperationCanceledException>();
        gates.Waiting("cpu").Should().Be(0);
        hold.Set();
        await first.WaitAsync(Quick);
        (await gates.RunAsync("cpu", () => 1, default).WaitAsync(Quick)).Should().Be(1);
        ran.Should().BeFalse();
    }

    [Fact]
    public async Task Long_work_hands_the_device_to_waiting_work_when_it_yields_and_gets_it_back()
    {
        var gates = new DeviceGates();
        var log = new List<string>();
        var step = new SemaphoreSlim(0);
        var started = new SemaphoreSlim(0);
        var waitingSeen = 0;
        var longWork = Task.Run(() => gates.RunYieldingAsync("cpu", yieldDevice =>
        {
            for (var i = 0; i < 3; i++)
            {
                started.Release();
                step.Wait(Quick);
                lock (log) log.Add($"batch {i}");
                yieldDevice();
            }
            return 0;
        }, default));
        await started.WaitAsync(Quick);
        var shortWork = gates.RunAsync("cpu", () => { lock (log) log.Add("short"); return 1; }, default);
        await WaitUntil(() => gates.Waiting("cpu") == 1);
        step.Release(); // batch 0 ends, then yields: the short work runs
        await shortWork.WaitAsync(Quick);
        waitingSeen = gates.Waiting("cpu");
        step.Release(2);
        await longWork.WaitAsync(Quick);
        log.Should().Equal("batch 0", "short", "batch 1", "batch 2");
        waitingSeen.Should().Be(0);
        // Nobody waiting: yielding is free and the gate ends released.
        (await gates.RunAsync("cpu", () => 2, default).WaitAsync(Quick)).Should().Be(2);
    }

    [Fact]
    public async Task Low_priority_work_waits_behind_later_work_and_does_not_take_the_device_from_long_work()
    {
        var gates = new DeviceGates();
        var log = new List<string>();
        var step = new SemaphoreSlim(0);
        var started = new SemaphoreSlim(0);
        // A dissection-like job holds the device and yields after each of its batches.
        var longWork = Task.Run(() => gates.RunYieldingAsync("cpu", yieldDevice =>
        {
            for (var i = 0; i < 2; i++)
            {
                started.Release();
                step.Wait(Quick);
                lock (log) log.Add($"long {i}");
                yieldDevice();
            }
            return 0;
        }, default));
        await started.WaitAsync(Quick);
        // A background summary queues first, then a hover-like request.
        var low = Task.Run(() => gates.RunLowPriorityAsync("cpu", _ => { lock (log) log.Add("low"); return 0; }, default));
        await WaitUntil(() => gates.Waiting("cpu") == 1);
        var hover = gates.RunAsync("cpu", () => { lock (log) log.Add("hover"); return 0; }, default);
        await WaitUntil(() => gates.Waiting("cpu") == 2);
        step.Release(); // long 0 ends and yields to the hover only: the summary waits
        await hover.WaitAsync(Quick);
        await started.WaitAsync(Quick);
        step.Release();
        await Task.WhenAll(longWork, low).WaitAsync(Quick);
        log.Should().Equal("long 0", "hover", "long 1", "low");
    }

    [Fact]
    public async Task Low_priority_work_hands_the_device_to_work_that_arrives_between_its_steps()
    {
        var gates = new DeviceGates();
        var log = new List<string>();
        var step = new SemaphoreSlim(0);
        var started = new SemaphoreSlim(0);
        var low = Task.Run(() => gates.RunLowPriorityAsync("cpu", yieldDevice =>
        {
            for (var i = 0; i < 2; i++)
            {
                started.Release();
                step.Wait(Quick);
                lock (log) log.Add($"low {i}");
                yieldDevice();
            }
            return 0;
        }, default));
        await started.WaitAsync(Quick);
        var map = gates.RunAsync("cpu", () => { lock (log) log.Add("unit map"); return 0; }, default);
        await WaitUntil(() => gates.Waiting("cpu") == 1);
        step.Release();
        await map.WaitAsync(Quick);
        step.Release();
        await low.WaitAsync(Quick);
        log.Should().Equal("low 0", "unit map", "low 1");
        (await gates.RunAsync("cpu", () => 3, default).WaitAsync(Quick)).Should().Be(3, "the gate ends released");
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        condition().Should().BeTrue();
    }
}
