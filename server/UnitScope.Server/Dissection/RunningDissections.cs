namespace UnitScope.Server.Dissection;

/// <summary>
/// The layers being dissected right now, by checkpoint, dataset and layer, so a hover shown during a run
/// says the layer is being dissected instead of "Not dissected yet" with a link that would start a second
/// run. Counted: two clients may dissect the same layer at once.
/// </summary>
internal sealed class RunningDissections
{
    private readonly Dictionary<(string Checkpoint, string Dataset, string Layer), int> _running = [];

    /// <summary>Marks <paramref name="layers"/> as running until each is finished or the run is disposed.</summary>
    public Run Begin(string checkpointHash, DatasetSpec dataset, IEnumerable<string> layers)
    {
        var keys = layers.Select(l => (checkpointHash, dataset.Name, l)).Distinct().ToList();
        lock (_running)
            foreach (var key in keys) _running[key] = _running.GetValueOrDefault(key) + 1;
        return new Run(this, keys);
    }

    public bool IsRunning(string checkpointHash, DatasetSpec dataset, string layer)
    {
        lock (_running) return _running.ContainsKey((checkpointHash, dataset.Name, layer));
    }

    private void End((string, string, string) key)
    {
        lock (_running)
        {
            if (!_running.TryGetValue(key, out var count)) return;
            if (count <= 1) _running.Remove(key);
            else _running[key] = count - 1;
        }
    }

    /// <summary>One run's layers: each unmarked when its result is delivered, the rest when the run ends.</summary>
    public sealed class Run(RunningDissections owner, List<(string Checkpoint, string Dataset, string Layer)> pending) : IDisposable
    {
        public void Finished(string layer)
        {
            lock (pending)
            {
                var i = pending.FindIndex(k => k.Layer == layer);
                if (i < 0) return;
                owner.End(pending[i]);
                pending.RemoveAt(i);
            }
        }

        public void Dispose()
        {
            lock (pending)
            {
                foreach (var key in pending) owner.End(key);
                pending.Clear();
            }
        }
    }
}
