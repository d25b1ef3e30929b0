namespace UnitScope.Server.Rpc;

/// <summary>
/// Runs handlers in arrival order as a fair reader/writer queue: a <see cref="Execution.Reading"/>
/// item starts once every earlier mutating item is done and runs alongside other reads; a
/// <see cref="Execution.Mutating"/> item starts once everything before it is done, and nothing
/// after it starts until it is done. A <see cref="Execution.Background"/> item starts like a read
/// but nothing waits for it (it may run for minutes; hovers must not queue behind it).
/// Enqueueing is synchronous, so arrival order is call order.
/// </summary>
internal sealed class RequestScheduler
{
    private readonly Lock _lock = new();
    private Task _lastMutation = Task.CompletedTask;
    private readonly List<Task> _readsSinceMutation = [];

    public Task<T> Enqueue<T>(Execution execution, Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (execution == Execution.Inline) return work(ct);
        lock (_lock)
        {
            if (execution == Execution.Background) return RunAfterAsync(_lastMutation, work, ct);

            Task prior;
            if (execution == Execution.Reading)
            {
                prior = _lastMutation;
            }
            else
            {
                _readsSinceMutation.RemoveAll(t => t.IsCompleted);
                prior = _readsSinceMutation.Count == 0 ? _lastMutation : Task.WhenAll([.. _readsSinceMutation, _lastMutation]);
            }

            var run = RunAfterAsync(prior, work, ct);
            // The slot ends when both the predecessors and this item are done, so a request that is
            // cancelled while waiting does not let later ones overtake what it was waiting for.
            var slot = Task.WhenAll(prior, run);
            if (execution == Execution.Reading)
            {
                _readsSinceMutation.Add(slot);
            }
            else
            {
                _lastMutation = slot;
                _readsSinceMutation.Clear();
            }
            return run;
        }
    }

    private static async Task<T> RunAfterAsync<T>(Task prior, Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        await prior.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        ct.ThrowIfCancellationRequested();
        // Off the dispatching context: handlers may run long synchronous work (forward passes).
        return await Task.Run(() => work(ct), ct).ConfigureAwait(false);
    }
}
