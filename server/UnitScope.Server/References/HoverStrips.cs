using System.Collections.Concurrent;
using UnitScope.Engine.Datasets;
using UnitScope.Server.Dissection;
using E = UnitScope.Engine.Analysis.Dissection;

namespace UnitScope.Server.References;

/// <summary>
/// The small top-image strips a dissection hover shows, rendered once per (dissection, units) and
/// kept. Rendering runs the model on the units' top images through the device gate; a hover waits
/// for it at most <see cref="Wait"/> — when it takes longer the hover goes without images and the
/// next hover has them.
/// </summary>
internal sealed class HoverStrips(DaemonServices services)
{
    public const int TileSize = 40;
    public const int ImagesPerUnit = 2;
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    private const int MaxKept = 256;

    private readonly ConcurrentDictionary<string, Task<IReadOnlyDictionary<int, string>?>> _strips = new(StringComparer.Ordinal);

    /// <summary>Base64 PNGs by unit, or null when they are not ready in time or cannot be rendered.</summary>
    public async Task<IReadOnlyDictionary<int, string>?> GetAsync(string modelId, ISegmentationDataset dataset, E.LayerDissection layer,
        IReadOnlyList<int> units, CancellationToken ct)
    {
        if (units.Count == 0) return null;
        var key = string.Join('|', Engine.Storage.DissectionKey.For(layer).Value, string.Join(',', units));
        if (_strips.Count > MaxKept) _strips.Clear();
        var task = _strips.GetOrAdd(key, _ => RenderAsync(modelId, dataset, layer, units));
        var finished = await Task.WhenAny(task, Task.Delay(Wait, ct)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (finished != task) return null;
        var strips = await task.ConfigureAwait(false);
        if (strips is null) _strips.TryRemove(key, out _); // a failure is retried on the next hover
        return strips;
    }

    private async Task<IReadOnlyDictionary<int, string>?> RenderAsync(string modelId, ISegmentationDataset dataset, E.LayerDissection layer, IReadOnlyList<int> units)
    {
        await Task.Yield();
        try
        {
            // Kept loaded while it renders, even if the hover has long returned.
            using var lease = services.Models.Lease(modelId);
            var model = lease.Model;
            var pngs = await services.Devices.RunAsync(model.DeviceName,
                () => services.Dissection.RenderTopImageStrips(model, dataset, layer, units, TileSize, ImagesPerUnit, CancellationToken.None),
                CancellationToken.None).ConfigureAwait(false);
            return pngs?.ToDictionary(p => p.Key, p => Convert.ToBase64String(p.Value));
        }
        catch (Exception e)
        {
            services.Log.Warn($"hover: top images of {layer.Layer} could not be rendered: {e.Message}");
            return null;
        }
    }
}
