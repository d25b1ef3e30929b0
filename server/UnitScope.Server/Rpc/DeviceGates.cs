using System.Collections.Concurrent;

namespace UnitScope.Server.Rpc;

/// <summary>One forward pass at a time per device ("cpu", "cuda:0", …); waiting is cancellable.</summary>
internal sealed class DeviceGates
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.OrdinalIgnoreCase);

    public async Task<T> RunAsync<T>(string device, Func<T> work, CancellationToken ct)
    {
        var gate = _gates.GetOrAdd(device, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ct.ThrowIfCancellationRequested();
            return work();
        }
        finally
        {
            gate.Release();
        }
    }
}
