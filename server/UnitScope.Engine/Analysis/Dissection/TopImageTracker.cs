namespace UnitScope.Engine.Analysis.Dissection;

/// <summary>
/// Each unit's k images with the largest maximum activation (over the layer's own positions, before
/// upsampling, as NetDissect-Lite ranks them); ties go to the lower image index. Memory: units × k.
/// </summary>
internal sealed class TopImageTracker(int units, int k)
{
    // Min-heaps: the root is the weakest kept image, the first to go.
    readonly PriorityQueue<int, (float Value, int NegIndex)>[] _heaps =
        Enumerable.Range(0, units).Select(_ => new PriorityQueue<int, (float, int)>(k + 1)).ToArray();

    /// <summary><paramref name="maxima"/>[n × units + u] is unit u's maximum on image <paramref name="images"/>[n].</summary>
    public void Add(ReadOnlySpan<float> maxima, ReadOnlySpan<int> images)
    {
        if (k == 0) return;
        for (int n = 0; n < images.Length; n++)
            for (int u = 0; u < units; u++)
            {
                var heap = _heaps[u];
                var priority = (maxima[n * units + u], -images[n]);
                if (heap.Count < k)
                    heap.Enqueue(images[n], priority);
                else if (heap.TryPeek(out _, out var weakest) && Compare(priority, weakest) > 0)
                    heap.EnqueueDequeue(images[n], priority);
            }
    }

    /// <summary>Unit <paramref name="unit"/>'s images, strongest first.</summary>
    public IReadOnlyList<TopImage> For(int unit) =>
        [.. _heaps[unit].UnorderedItems
            .OrderByDescending(e => e.Priority.Value)
            .ThenBy(e => e.Element)
            .Select(e => new TopImage(e.Element, e.Priority.Value))];

    static int Compare((float Value, int NegIndex) a, (float Value, int NegIndex) b) =>
        a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.NegIndex.CompareTo(b.NegIndex);
}
