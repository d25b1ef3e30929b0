using System.Collections.Concurrent;

namespace UnitScope.Server.Rpc;

/// <summary>
/// One piece of device work at a time per device ("cpu", "cuda:0", …), first come first served;
/// waiting is cancellable. Long work (a dissection) takes the gate with
/// <see cref="RunYieldingAsync{T}"/> and hands it over between its batches to whatever queued
/// meanwhile (a unit map, a unit card), so it never holds up short requests for its whole length.
/// </summary>
internal sealed class DeviceGates
{
    private readonly ConcurrentDictionary<string, FairGate> _gates = new(StringComparer.OrdinalIgnoreCase);

    public async Task<T> RunAsync<T>(string device, Func<T> work, CancellationToken ct)
    {
        var gate = Gate(device);
        await gate.EnterAsync(ct).ConfigureAwait(false);
        try
        {
            ct.ThrowIfCancellationRequested();
            return work();
        }
        finally
        {
            gate.Exit();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> holding the gate; <paramref name="work"/> calls the action it is
    /// given at points where it holds no other lock (between batches): when others are waiting
    /// there, they run first and the call returns once the gate is back.
    /// </summary>
    public Task<T> RunYieldingAsync<T>(string device, Func<Action, T> work, CancellationToken ct) => RunHoldingAsync(device, work, low: false, ct);

    /// <summary>
    /// Like <see cref="RunYieldingAsync{T}"/> but at low priority (background summaries): it gets the device only when no
    /// other work is waiting for it, and at each yield hands it to any other work that queued meanwhile, so an
    /// interactive request waits at most for one of its steps.
    /// </summary>
    public Task<T> RunLowPriorityAsync<T>(string device, Func<Action, T> work, CancellationToken ct) => RunHoldingAsync(device, work, low: true, ct);

    private async Task<T> RunHoldingAsync<T>(string device, Func<Action, T> work, bool low, CancellationToken ct)
    {
        var gate = Gate(device);
        await gate.EnterAsync(ct, low).ConfigureAwait(false);
        var held = true;
        try
        {
            ct.ThrowIfCancellationRequested();
            return work(() =>
            {
                if (!gate.HasWaiters) return;
                held = false;
                gate.Exit();
                gate.EnterAsync(ct, low).GetAwaiter().GetResult();
                held = true;
            });
        }
        finally
        {
            if (held) gate.Exit();
        }
    }

    /// <summary>How many are waiting for the device (for tests and logs).</summary>
    public int Waiting(string device) => Gate(device).WaiterCount;

    private FairGate Gate(string device) => _gates.GetOrAdd(device, _ => new FairGate());

    /// <summary>A FIFO lock: <see cref="Exit"/> hands it straight to the longest waiter, low-priority waiters only
    /// when no other waits.</summary>
    private sealed class FairGate
    {
        private readonly Lock _lock = new();
        private readonly LinkedList<TaskCompletionSource> _waiters = [];
        private readonly LinkedList<TaskCompletionSource> _lowWaiters = [];
        private bool _held;

        /// <summary>Whether work other than low-priority work waits (what long work yields to).</summary>
        public bool HasWaiters
        {
            get { lock (_lock) return _waiters.Count > 0; }
        }

        public int WaiterCount
        {
            get { lock (_lock) return _waiters.Count + _lowWaiters.Count; }
        }

        public Task EnterAsync(CancellationToken ct, bool low = false)
        {
            TaskCompletionSource tcs;
            LinkedListNode<TaskCompletionSource> node;
            lock (_lock)
            {
                if (!_held)
                {
                    _held = true;
                    return Task.CompletedTask;
                }
                ct.ThrowIfCancellationRequested();
                tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                node = (low ? _lowWaiters : _waiters).AddLast(tcs);
            }
            if (!ct.CanBeCanceled) return tcs.Task;
            var registration = ct.Register(() =>
            {
                lock (_lock)
                {
                    // Still waiting: leave the queue. Already handed the gate: the caller owns it
                    // and releases it (it sees the cancellation after entering).
                    if (node.List is not { } list) return;
                    list.Remove(node);
                }
                tcs.TrySetCanceled(ct);
            });
            return WaitAsync(tcs.Task, registration);
        }

        private static async Task WaitAsync(Task entered, CancellationTokenRegistration registration)
        {
            try
            {
                await entered.ConfigureAwait(false);
            }
            finally
            {
                await registration.DisposeAsync().ConfigureAwait(false);
            }
        }

        public void Exit()
        {
            TaskCompletionSource? next = null;
            lock (_lock)
            {
                var queue = _waiters.Count > 0 ? _waiters : _lowWaiters;
                if (queue.First is { } first)
                {
                    queue.RemoveFirst();
                    next = first.Value; // the gate stays held: it passes to the waiter
                }
                else
                {
                    _held = false;
                }
            }
            next?.TrySetResult();
        }
    }
}
