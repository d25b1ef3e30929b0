namespace UnitScope.Engine.Analysis.Seeing;

/// <summary>
/// The k best (image, position, value) of every unit, fed one batch of per-image maxima at a time: memory
/// O(units × k) however many images pass. Order: value descending, then image index ascending, so images offered in
/// increasing index order keep the earlier of two equal values, as a stable sort of all of them would. NaN values are
/// never kept (they compare with nothing).
/// </summary>
public sealed class TopKCollector
{
    readonly int _k;
    readonly TopActivation[][] _best;
    readonly int[] _count;

    public TopKCollector(int units, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        _k = k;
        _best = [.. Enumerable.Range(0, units).Select(_ => new TopActivation[k])];
        _count = new int[units];
    }

    public int Units => _best.Length;

    /// <summary>
    /// Offers <paramref name="images"/> images, the first numbered <paramref name="firstImage"/>: for image i and unit u,
    /// <paramref name="maxima"/>[i·units + u] is the unit's largest value on it, at flat position
    /// <paramref name="positions"/>[i·units + u] of a map <paramref name="mapWidth"/> wide.
    /// </summary>
    public void Offer(int firstImage, int images, ReadOnlySpan<float> maxima, ReadOnlySpan<long> positions, int mapWidth)
    {
        int units = _best.Length;
        if (maxima.Length < images * units || positions.Length < images * units)
            throw new ArgumentException($"Expected {images}×{units} maxima and positions.");
        for (int u = 0; u < units; u++)
        {
            var best = _best[u];
            for (int i = 0; i < images; i++)
            {
                float value = maxima[i * units + u];
                if (float.IsNaN(value)) continue;
                int count = _count[u];
                if (count == _k && !(value > best[count - 1].Value)) continue;
                // After every kept entry with a value at least as high (equal ones came from earlier images).
                int at = count == _k ? count - 1 : count;
                while (at > 0 && best[at - 1].Value < value) at--;
                int last = Math.Min(count, _k - 1);
                Array.Copy(best, at, best, at + 1, last - at);
                long position = positions[i * units + u];
                best[at] = new TopActivation(firstImage + i, (int)(position / mapWidth), (int)(position % mapWidth), value);
                if (count < _k) _count[u] = count + 1;
            }
        }
    }

    /// <summary>Each unit's kept activations, best first.</summary>
    public IReadOnlyList<IReadOnlyList<TopActivation>> Result() =>
        [.. _best.Select((best, u) => (IReadOnlyList<TopActivation>)best[.._count[u]])];
}
