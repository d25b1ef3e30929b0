using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnitScope.Engine.Demo;

/// <summary>
/// Counts a training model's batches for its BatchNorm layers, instead of the layers counting them. TorchSharp's
/// BatchNorm counts with <c>num_batches_tracked.add_(1)</c>, whose temporary Scalars (the 1 and the hidden alpha) the
/// finalizer can free inside the libtorch call: training then fails at random with "alpha must not be a floating
/// point number" (upstream dotnet/TorchSharp #1434/#1496). A layer without a counter uses its momentum, which a layer
/// with a counter also does whenever the momentum is set, as the demo models' is (0.1): the numbers are the same.
/// Disposing puts the counters back, advanced by the batches counted, so a checkpoint holds what PyTorch's would.
/// </summary>
internal sealed class BatchNormCounts : IDisposable
{
    readonly List<(BatchNorm Layer, long Before, torch.Device Device)> _layers = [];
    long _batches;

    /// <summary>Takes the counters off every BatchNorm layer of <paramref name="modules"/> until disposed.</summary>
    public static BatchNormCounts TakeOff(params nn.Module[] modules)
    {
        var layers = modules.SelectMany(m => m.modules().Prepend(m)).Distinct().OfType<BatchNorm>().Where(l => l.num_batches_tracked is not null).ToList();
        if (layers.Any(l => l.momentum is null))
            throw new InvalidOperationException("A BatchNorm without momentum averages by its batch count: keep its counter.");
        var counts = new BatchNormCounts();
        foreach (var layer in layers)
        {
            var counter = layer.num_batches_tracked!;
            counts._layers.Add((layer, counter.item<long>(), counter.device));
            layer.num_batches_tracked = null;
        }
        return counts;
    }

    /// <summary>One more training batch went through every layer.</summary>
    public void Step() => _batches++;

    public void Dispose()
    {
        foreach (var (layer, before, device) in _layers)
            layer.num_batches_tracked = torch.tensor(before + _batches, device: device);
        _layers.Clear();
    }
}
