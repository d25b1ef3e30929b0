using System.Threading.Channels;
using UnitScope.Engine;
using UnitScope.Protocol;
using UnitScope.Server.Rpc;

namespace UnitScope.Server.Evolution;

/// <summary>One checkpoint of a followed run waiting for its background summary.</summary>
/// <param name="Attempts">How often it was found still being written.</param>
internal sealed record PendingSummary(Connection Connection, string ModelId, string Run, IComparisonImages Images, RunSettings Settings,
    int Index, RunMember Member, RunMember? Previous, int Attempts = 0)
{
    /// <summary>What makes two requests for it the same work.</summary>
    public string Key => $"{Connection.Name}\n{Run}\n{string.Join(',', Settings.Layers)}\n{Images.Name}:{Images.Count}\n{Member.Paths[0]}";
}

/// <summary>
/// The background summaries of followed runs (<c>unitscope/followRun</c>): one worker, one checkpoint at a time, each
/// read only once completely written (a file still being written is looked at again a moment later, for a while), then
/// summarised at low priority on its model's device (<see cref="DeviceGates.RunLowPriorityAsync{T}"/>: interactive
/// requests go first and get the device between its batches) and announced to the client that asked with
/// <c>unitscope/checkpointSummarized</c>. A failure (the file deleted, truncated or replaced meanwhile, the model
/// unloaded) is logged and drops that checkpoint only; the next listing of the run queues it again if it is still there.
/// </summary>
internal sealed class RunFollower : IDisposable
{
    /// <summary>About a minute of looking again at a file that is still being written (a large checkpoint on a slow disk).</summary>
    private const int MaxAttempts = 30;
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(2);

    private readonly DaemonServices _services;
    private readonly Channel<PendingSummary> _queue = Channel.CreateUnbounded<PendingSummary>(new UnboundedChannelOptions { SingleReader = true });
    private readonly HashSet<string> _queued = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;

    public RunFollower(DaemonServices services)
    {
        _services = services;
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>Queues each checkpoint not queued already; returns the files queued (new or still waiting).</summary>
    public IReadOnlyList<string> Enqueue(IEnumerable<PendingSummary> pending)
    {
        var paths = new List<string>();
        foreach (var p in pending)
        {
            lock (_lock)
                if (_queued.Add(p.Key)) _queue.Writer.TryWrite(p);
            paths.Add(p.Member.Paths[0]);
        }
        return paths;
    }

    /// <summary>Checkpoints queued or being summarised now (for tests and logs).</summary>
    public int Queued
    {
        get { lock (_lock) return _queued.Count; }
    }

    private async Task WorkAsync()
    {
        var ct = _stop.Token;
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                bool again = false;
                try
                {
                    again = !await SummariseAsync(item, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    _services.Log.Warn($"{item.Connection.Name}: background summary of {Path.GetFileName(item.Member.Paths[0])} failed: {e.Message}");
                }
                if (again && item.Attempts + 1 < MaxAttempts)
                {
                    _ = RequeueLaterAsync(item with { Attempts = item.Attempts + 1 }, ct);
                    continue;
                }
                lock (_lock) _queued.Remove(item.Key);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>False when the file is still being written (nothing was read).</summary>
    private async Task<bool> SummariseAsync(PendingSummary item, CancellationToken ct)
    {
        var engine = _services.Evolution;
        if (!engine.IsComplete(item.Member.Paths[0], ct)) return false;
        using var lease = _services.Models.Lease(item.ModelId);
        var model = lease.Model;
        var summary = await _services.Devices.RunLowPriorityAsync(model.DeviceName,
            yieldDevice => engine.Summarise(model, item.Index, item.Member, item.Previous, item.Images, item.Settings,
                new SyncProgress<RunProgress>(_ => yieldDevice()), ct), ct).ConfigureAwait(false);
        await item.Connection.NotifyClientAsync(Methods.CheckpointSummarized, new CheckpointSummarizedParams(item.Run, item.Settings.Layers, summary))
            .ConfigureAwait(false);
        return true;
    }

    private async Task RequeueLaterAsync(PendingSummary item, CancellationToken ct)
    {
        try
        {
            await Task.Delay(Retry, ct).ConfigureAwait(false);
            _queue.Writer.TryWrite(item);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        try
        {
            _worker.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _stop.Dispose();
    }
}
